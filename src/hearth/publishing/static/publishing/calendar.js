// Drag and drop on the editorial calendar: a post dropped on another day keeps its time of day.
// Plain HTML5 drag events; the server checks everything again and answers an error in words.
(function () {
  "use strict";
  function csrf() {
    var headers = document.body.getAttribute("hx-headers");
    try { return JSON.parse(headers)["X-CSRFToken"]; } catch (e) { return ""; }
  }
  function init() {
    var cal = document.getElementById("cal");
    if (!cal || cal.dataset.canMove !== "1") return;
    var dragged = null;
    cal.addEventListener("dragstart", function (event) {
      var chip = event.target.closest && event.target.closest(".chip");
      if (!chip) return;
      dragged = chip;
      chip.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", chip.dataset.post);
    });
    cal.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
      cal.querySelectorAll(".drop-target").forEach(function (d) { d.classList.remove("drop-target"); });
    });
    cal.addEventListener("dragover", function (event) {
      var day = event.target.closest && event.target.closest(".cal-day");
      if (!day || !dragged) return;
      event.preventDefault();
      cal.querySelectorAll(".drop-target").forEach(function (d) { if (d !== day) d.classList.remove("drop-target"); });
      day.classList.add("drop-target");
    });
    cal.addEventListener("drop", function (event) {
      var day = event.target.closest && event.target.closest(".cal-day");
      if (!day || !dragged) return;
      event.preventDefault();
      var id = event.dataTransfer.getData("text/plain") || dragged.dataset.post;
      var url = cal.dataset.moveUrl.replace("/0/", "/" + id + "/");
      var body = new URLSearchParams({ date: day.dataset.date });
      fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrf() } })
        .then(function (answer) { return answer.json().then(function (data) { return { ok: answer.ok, data: data }; }); })
        .then(function (result) {
          if (result.ok) { day.appendChild(dragged); window.location.reload(); }
          else { document.getElementById("cal-error").textContent = result.data.error; }
        });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
