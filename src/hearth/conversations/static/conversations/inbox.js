/* Hearth inbox: keyboard shortcuts, tab badge, saved replies, "replying" presence. No dependencies. */
(function () {
  "use strict";
  var baseTitle = null;

  function layout() { return document.querySelector("[data-page]"); }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll(".thread-row")); }
  function current() { return document.querySelector(".thread-row.selected"); }
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }
  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function post(url, data) {
    var form = document.createElement("form");
    form.method = "post"; form.action = url; form.hidden = true;
    data.csrfmiddlewaretoken = csrf();
    Object.keys(data).forEach(function (k) {
      var i = document.createElement("input"); i.name = k; i.value = data[k]; form.appendChild(i);
    });
    document.body.appendChild(form); form.submit();
  }
  function select(row) {
    rows().forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-current"); });
    if (!row) return;
    row.classList.add("selected"); row.setAttribute("aria-current", "true");
    row.scrollIntoView({ block: "nearest" });
    try { sessionStorage.setItem("hearth-inbox-selected", row.dataset.threadId); } catch (e) { /* private mode */ }
  }
  function move(step) {
    var list = rows(); if (!list.length) return;
    var i = list.indexOf(current());
    select(list[Math.max(0, Math.min(list.length - 1, i < 0 ? 0 : i + step))]);
  }
  function restoreSelection() {
    var id = null;
    try { id = sessionStorage.getItem("hearth-inbox-selected"); } catch (e) { /* private mode */ }
    var row = id && document.querySelector('.thread-row[data-thread-id="' + id + '"]');
    select(row || rows()[0]);
  }
  function help(open) {
    var d = document.getElementById("key-help"); if (!d) return;
    if (open && !d.open) d.showModal(); else if (!open && d.open) d.close();
  }
  function updateBadge() {
    var el = document.getElementById("inbox-waiting");
    if (baseTitle === null) baseTitle = document.title.replace(/^\(\d+\+?\)\s*/, "");
    if (!el) return;
    var n = el.dataset.count;
    document.title = (n && n !== "0" ? "(" + n + ") " : "") + baseTitle;
  }

  function onInboxKey(e, page) {
    var row = current();
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "o": case "Enter": if (row) window.location = row.dataset.url; break;
      case "r": if (row) window.location = row.dataset.url + "#reply"; break;
      case "x": if (row) { var c = row.querySelector("input[type=checkbox]"); if (c) c.checked = !c.checked; } break;
      case "a": if (row) post(page.dataset.assignUrlTemplate.replace("/0/", "/" + row.dataset.threadId + "/"), { assignee: "me", next: "inbox" }); break;
      case "e": if (row) post(page.dataset.statusUrlTemplate.replace("/0/", "/" + row.dataset.threadId + "/"), { status: "closed", next: "inbox" }); break;
      case "/": var s = document.getElementById("inbox-search"); if (s) s.focus(); break;
      default: return false;
    }
    return true;
  }
  function onThreadKey(e, page) {
    switch (e.key) {
      case "j": if (page.dataset.next) window.location = page.dataset.next; break;
      case "k": if (page.dataset.prev) window.location = page.dataset.prev; break;
      case "r": var t = document.getElementById("reply-text"); if (t) t.focus(); break;
      case "a": var f = document.getElementById("assign-select");
        if (f) { f.value = f.form.querySelector("input[name=me]").value; f.form.submit(); } break;
      case "e": var b = document.querySelector('#status-form button[data-status="closed"]'); if (b) b.click(); break;
      case "u": case "Escape": window.location = page.dataset.inbox; break;
      case "/": window.location = page.dataset.inbox + "#search"; break;
      default: return false;
    }
    return true;
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e.target)) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    var page = layout(); if (!page) return;
    if (e.key === "?") { help(true); e.preventDefault(); return; }
    var handled = page.dataset.page === "inbox" ? onInboxKey(e, page) : onThreadKey(e, page);
    if (handled) e.preventDefault();
  });

  document.addEventListener("click", function (e) {
    if (e.target.matches("[data-close-help]")) help(false);
    var row = e.target.closest && e.target.closest(".thread-row");
    if (row && e.target.type !== "checkbox") select(row);
  });

  document.addEventListener("change", function (e) {
    if (e.target.id !== "saved-reply" || !e.target.value) return;
    var url = e.target.dataset.url + "?key=" + encodeURIComponent(e.target.value);
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : ""; }).then(function (text) {
      var area = document.getElementById("reply-text");
      if (area && text) { area.value = text; area.focus(); }
      e.target.value = "";
    });
  });

  // Collision detection: the presence poll says "replying" while the composer holds a draft.
  window.hearthInboxMode = function () {
    var area = document.getElementById("reply-text");
    return area && (area.value.trim() || document.activeElement === area) ? "replying" : "viewing";
  };

  // The presence poll sends the mode (htmx's hx-vals="js:..." would need eval, which the CSP forbids).
  document.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.elt.hasAttribute && e.detail.elt.hasAttribute("data-presence")) e.detail.parameters.mode = window.hearthInboxMode();
  });
  // The thread list's poll waits while rows are ticked, so a refresh never drops a selection
  // (instead of an htmx trigger filter, which would need eval).
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail.elt;
    if (elt.hasAttribute && elt.hasAttribute("data-poll-unless-selected") && elt.querySelector("input[name=ids]:checked")) e.preventDefault();
  });
  // The bulk bar shows only the value field of the chosen action.
  function pickBulkValue(form) {
    form.querySelectorAll("[data-bulk-for]").forEach(function (el) { el.hidden = el.dataset.bulkFor !== form.elements.action.value; });
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-bulk-action]")) pickBulkValue(e.target.form);
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.target.id === "thread-list") { updateBadge(); restoreSelection(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    updateBadge();
    document.querySelectorAll("[data-bulk-action]").forEach(function (select) { pickBulkValue(select.form); });
    var page = layout(); if (!page) return;
    if (page.dataset.page === "inbox") {
      restoreSelection();
      if (window.location.hash === "#search") { var s = document.getElementById("inbox-search"); if (s) s.focus(); }
    } else if (window.location.hash === "#reply") {
      var t = document.getElementById("reply-text"); if (t) t.focus();
    }
  });
})();
