// The composer: live validation against each platform's rules (the same figures the server
// checks), a preview per platform, and a draft that saves itself a few seconds after a change.
(function () {
  "use strict";
  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }
  function esc(text) {
    var div = document.createElement("div"); div.textContent = text; return div.innerHTML;
  }
  function init() {
    var form = document.getElementById("composer");
    if (!form) return;
    var rules = JSON.parse(document.getElementById("rules").textContent);
    var msg = JSON.parse(document.getElementById("composer-messages").textContent);
    var previews = form.querySelector("[data-previews]");
    var summary = form.querySelector("[data-rules-summary]");
    var status = form.querySelector("[data-testid=autosave]");
    var timer = null, saving = false, again = false, pending = null;
    var library = {};
    JSON.parse(document.getElementById("media-library").textContent).forEach(function (a) { library[a.id] = a; });
    var uploadForm = document.getElementById("media-upload");
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var lastField = null;

    function assetIds(section) {
      return section.querySelector("[data-field=assets]").value.split(",")
        .filter(function (i) { return i.trim() && library[i.trim()]; })
        .map(function (i) { return i.trim(); });
    }
    function setAssetIds(section, ids) {
      section.querySelector("[data-field=assets]").value = ids.join(",");
    }
    function media(section) {
      var attached = assetIds(section).map(function (id) { return library[id]; });
      return attached.concat(section.querySelector("[data-field=media]").value.split("\n")
        .map(function (l) { return l.split("|"); })
        .filter(function (p) { return p[0].trim(); })
        .map(function (p) {
          var url = p[0].trim();
          return { url: url, name: url, alt: (p[1] || "").trim(), type: /\.(mp4|mov|webm)$/i.test(url) ? "video" : "image" };
        }));
    }
    function sizeText(bytes) {
      return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.round(bytes / 1024) + " KB";
    }
    function mediaProblems(rule, items) {
      var problems = [], videos = items.filter(function (m) { return m.type === "video"; }).length;
      if (items.length > rule.max_media) problems.push(fmt(msg.too_many_media, { channel: rule.name, max: rule.max_media }));
      if (videos > rule.max_videos && rule.media_types.indexOf("video") >= 0) problems.push(fmt(msg.too_many_videos, { channel: rule.name, max: rule.max_videos }));
      if (videos && items.length > videos && !rule.mix_media) problems.push(fmt(msg.no_mix, { channel: rule.name }));
      items.forEach(function (m) {
        var name = m.name || m.url;
        if (rule.media_types.indexOf(m.type) < 0) { problems.push(fmt(msg.wrong_kind, { channel: rule.name, type: m.type, name: name })); return; }
        var types = m.type === "video" ? rule.video_types : rule.image_types;
        if (m.content_type && types.indexOf(m.content_type) < 0) problems.push(fmt(msg.bad_type, { channel: rule.name, name: name, type: m.content_type }));
        var max = m.type === "video" ? rule.max_video_bytes : rule.max_image_bytes;
        if (m.size && m.size > max) problems.push(fmt(msg.too_heavy, { channel: rule.name, name: name, max: sizeText(max), size: sizeText(m.size) }));
        if (!(m.alt || "").trim()) problems.push(fmt(msg.no_alt, { channel: rule.name, name: name }));
      });
      return problems;
    }
    function renderAttached(section) {
      var box = section.querySelector("[data-attached]");
      box.innerHTML = "";
      assetIds(section).forEach(function (id) {
        var a = library[id], chip = document.createElement("span");
        chip.className = "attached-item";
        chip.dataset.testid = "attached-item-" + id;
        if (a.type === "image") { var img = document.createElement("img"); img.src = a.url; img.alt = a.alt; chip.appendChild(img); }
        chip.appendChild(document.createTextNode(" " + a.name + " "));
        var remove = document.createElement("button");
        remove.type = "button"; remove.className = "secondary outline small"; remove.textContent = msg.detach;
        remove.addEventListener("click", function () {
          setAssetIds(section, assetIds(section).filter(function (i) { return i !== id; }));
          changed();
        });
        chip.appendChild(remove);
        box.appendChild(chip);
      });
    }
    function renderLibrary() {
      var list = form.querySelector("[data-library]");
      list.innerHTML = "";
      var sections = Array.prototype.filter.call(form.querySelectorAll(".variant"), function (s) { return !s.hidden; });
      Object.keys(library).sort(function (a, b) { return b - a; }).forEach(function (id) {
        var a = library[id], li = document.createElement("li");
        li.dataset.testid = "asset-" + id;
        var thumb = document.createElement(a.type === "image" ? "img" : "span");
        thumb.className = "thumb";
        if (a.type === "image") { thumb.src = a.url; thumb.alt = a.alt; } else { thumb.textContent = "▶"; }
        li.appendChild(thumb);
        var info = document.createElement("div");
        var title = document.createElement("strong"); title.textContent = a.name; info.appendChild(title);
        info.appendChild(document.createTextNode(" · " + a.size_text));
        var alt = document.createElement("input");
        alt.value = a.alt; alt.placeholder = msg.alt_placeholder || ""; alt.setAttribute("aria-label", msg.alt_label || "alt");
        alt.setAttribute("form", "media-upload-none"); alt.dataset.testid = "alt-" + id;
        alt.classList.toggle("missing", !a.alt);
        var save = document.createElement("button");
        save.type = "button"; save.className = "secondary outline small"; save.textContent = msg.save_alt || "OK";
        save.dataset.testid = "save-alt-" + id;
        save.addEventListener("click", function () { saveAlt(a, alt.value, li); });
        info.appendChild(alt); info.appendChild(save);
        sections.forEach(function (section) {
          var rule = rules[section.dataset.channel];
          var attach = document.createElement("button");
          attach.type = "button"; attach.className = "small"; attach.textContent = fmt(msg.attach, { channel: rule.name });
          attach.dataset.testid = "attach-" + id + "-" + section.dataset.channel;
          attach.addEventListener("click", function () {
            var ids = assetIds(section);
            if (ids.indexOf(String(id)) < 0) ids.push(String(id));
            setAssetIds(section, ids);
            changed();
          });
          info.appendChild(attach);
        });
        li.appendChild(info);
        list.appendChild(li);
      });
    }
    function post(url, data) {
      data.append("csrfmiddlewaretoken", csrf);
      return fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (answer) { return answer.json().then(function (json) { return { ok: answer.ok, json: json }; }); });
    }
    function saveAlt(asset, text, li) {
      var data = new FormData();
      data.append("alt_text", text);
      post(uploadForm.dataset.mediaBase + asset.id + "/", data).then(function (result) {
        var status = form.querySelector("[data-upload-status]");
        if (result.ok) { library[asset.id] = result.json.asset; status.textContent = msg.alt_saved; changed(); }
        else { status.textContent = result.json.error; }
      });
    }
    function body(section) {
      var text = section.querySelector("[data-field=text]").value.trim();
      var link = section.querySelector("[data-field=link]").value.trim();
      if (link && text.indexOf(link) < 0) text = text ? text + "\n\n" + link : link;
      return text;
    }
    // Suggested times of a channel (best free hours from its best-time grid), loaded once when
    // the channel is chosen: the server renders them (publishing/_suggestions.html).
    function suggest(section) {
      var box = section.querySelector("[data-suggest-url]");
      if (!box || box.dataset.loaded) return;
      box.dataset.loaded = "1";
      fetch(box.dataset.suggestUrl, { credentials: "same-origin" })
        .then(function (answer) { return answer.ok ? answer.text() : ""; })
        .then(function (html) { box.innerHTML = html; });
    }
    function check() {
      var html = "", total = 0;
      form.querySelectorAll(".variant").forEach(function (section) {
        var id = section.dataset.channel, rule = rules[id];
        var box = form.querySelector("input[name=channels][value='" + id + "']");
        section.hidden = !box.checked;
        if (box.checked) suggest(section);
        if (!box.checked || !rule) return;
        var text = body(section), items = media(section), problems = [];
        var comment = section.querySelector("[data-field=first_comment]").value.trim();
        var counter = section.querySelector("[data-counter]");
        counter.textContent = text.length + " / " + rule.max_text;
        counter.classList.toggle("over", text.length > rule.max_text);
        if (!text && !items.length) problems.push(fmt(msg.empty, { channel: rule.name }));
        if (text.length > rule.max_text) problems.push(fmt(msg.too_long, { channel: rule.name, over: text.length - rule.max_text }));
        problems = problems.concat(mediaProblems(rule, items));
        if (comment && !rule.first_comment) problems.push(fmt(msg.no_first_comment, { channel: rule.name }));
        total += problems.length;
        section.querySelector("[data-problems]").innerHTML = problems.map(function (p) { return "<li>" + esc(p) + "</li>"; }).join("");
        var linked = esc(text).replace(/(https?:\/\/[^\s<]+)/g, '<a href="$1" rel="noopener">$1</a>');
        html += '<article class="preview kind-' + esc(rule.kind) + '" data-testid="preview-' + id + '"><header><span class="avatar"></span><span><span class="who">' +
          esc(rule.name) + '</span><br><span class="handle">' + esc(rule.handle) + '</span></span><span class="platform">' + esc(rule.platform) +
          '</span></header><div class="body">' + linked + "</div>" +
          (items.length ? '<div class="media">' + items.map(function (m) {
            return m.id && m.type === "image" ? '<img src="' + esc(m.url) + '" alt="' + esc(m.alt) + '">' : "<span>" + esc(m.alt || m.name || m.url) + "</span>";
          }).join("") + "</div>" : "") +
          (comment ? '<div class="comment">↳ ' + esc(comment) + "</div>" : "") + "</article>";
      });
      previews.innerHTML = html;
      summary.textContent = total ? "" : msg.ok;
    }
    function save() {
      if (saving) { again = true; return; }
      if (!form.querySelector("input[name=channels]:checked")) return;
      saving = true;
      status.textContent = msg.saving;
      var data = new FormData(form);
      fetch(form.dataset.autosave, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (answer) { return answer.json().then(function (json) { return { ok: answer.ok, json: json }; }); })
        .then(function (result) {
          if (result.ok) {
            form.querySelector("input[name=post_id]").value = result.json.id;
            form.action = result.json.edit_url;
            if (window.location.pathname !== result.json.edit_url) window.history.replaceState(null, "", result.json.edit_url);
            status.textContent = fmt(msg.saved, { time: result.json.saved_at });
            status.dataset.saved = result.json.id;
          } else {
            status.textContent = fmt(msg.not_saved, { error: result.json.error });
          }
        })
        .catch(function (error) { status.textContent = fmt(msg.not_saved, { error: String(error) }); })
        .finally(function () {
          saving = false;
          // A click on Save while the autosave ran: submit once it has the post's id, so the
          // draft is not created twice.
          if (pending) { var button = pending; pending = null; form.requestSubmit(button); return; }
          if (again) { again = false; save(); }
        });
    }
    function changed() {
      form.querySelectorAll(".variant").forEach(renderAttached);
      check();
      renderLibrary();
      clearTimeout(timer); timer = setTimeout(save, 1500);
    }
    function ours(event) { return event.target.form === form; }
    form.addEventListener("input", function (event) { if (ours(event)) { check(); clearTimeout(timer); timer = setTimeout(save, 1500); } });
    form.addEventListener("change", function (event) { if (ours(event)) changed(); });
    form.addEventListener("focusin", function (event) {
      if (event.target.matches("[data-field=text], [data-field=first_comment]")) lastField = event.target;
    });
    // Hashtag groups and snippets go where the person was writing (else the first variant).
    form.querySelectorAll("[data-insert]").forEach(function (button) {
      button.addEventListener("click", function () {
        var field = lastField;
        if (!field || field.closest(".variant").hidden) {
          var open = Array.prototype.filter.call(form.querySelectorAll(".variant"), function (s) { return !s.hidden; })[0];
          if (!open) return;
          field = open.querySelector("[data-field=text]");
        }
        var start = field.selectionStart || field.value.length, end = field.selectionEnd || start;
        var before = field.value.slice(0, start), piece = button.dataset.insert;
        if (before && !/\s$/.test(before)) piece = " " + piece;
        field.value = before + piece + field.value.slice(end);
        field.focus();
        field.selectionStart = field.selectionEnd = before.length + piece.length;
        field.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
    // Own short links: every address of the variant becomes Hearth's /l/<code>, with UTM.
    form.querySelectorAll("[data-shorten-variant]").forEach(function (button) {
      button.addEventListener("click", function () {
        var section = button.closest(".variant"), status = section.querySelector("[data-tool-status]");
        var text = section.querySelector("[data-field=text]"), link = section.querySelector("[data-field=link]");
        var data = new FormData();
        data.append("channel", section.dataset.channel);
        data.append("text", text.value); data.append("link", link.value);
        data.append("campaign", form.querySelector("input[name=campaign]").value);
        data.append("post_id", form.querySelector("input[name=post_id]").value);
        post(form.dataset.shorten, data).then(function (result) {
          if (!result.ok) { status.textContent = result.json.error; return; }
          text.value = result.json.text; link.value = result.json.link;
          status.textContent = result.json.links.length ? fmt(msg.shortened, { count: result.json.links.length }) : msg.no_links;
          text.dispatchEvent(new Event("input", { bubbles: true }));
        }).catch(function (error) { status.textContent = String(error); });
      });
    });
    uploadForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var status = form.querySelector("[data-upload-status]");
      var data = new FormData(uploadForm);
      data.delete("csrfmiddlewaretoken");
      status.textContent = msg.uploading;
      post(uploadForm.action, data).then(function (result) {
        if (!result.ok) { status.textContent = result.json.error; return; }
        library[result.json.asset.id] = result.json.asset;
        status.textContent = fmt(msg.uploaded, { name: result.json.asset.name });
        form.querySelector("[data-upload-file]").value = "";
        form.querySelector("[data-upload-alt]").value = "";
        changed();
      }).catch(function (error) { status.textContent = String(error); });
    });
    form.querySelectorAll(".variant").forEach(renderAttached);
    renderLibrary();
    // A suggested time (loaded per channel from the best-time grid) fills "Publish at".
    form.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("[data-suggest]");
      if (!button) return;
      var field = form.querySelector("input[name=scheduled_at]");
      if (field) { field.value = button.dataset.suggest; field.dispatchEvent(new Event("change", { bubbles: true })); }
    });
    form.addEventListener("submit", function (event) {
      clearTimeout(timer);
      if (saving) { event.preventDefault(); pending = event.submitter; }
    });
    check();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
