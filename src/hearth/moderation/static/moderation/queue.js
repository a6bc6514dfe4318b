// The review queue's keyboard: j/k move, a approve, h hide, r reply, s sanction, x escalate, ? help.
(function () {
  "use strict";
  let current = 0;
  const entries = () => Array.from(document.querySelectorAll("[data-entry]"));
  const typing = (el) => el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);

  function select(index) {
    const list = entries();
    if (!list.length) return;
    current = Math.max(0, Math.min(index, list.length - 1));
    list.forEach((el, i) => el.classList.toggle("selected", i === current));
    list[current].focus({ preventScroll: true });
    list[current].scrollIntoView({ block: "nearest" });
  }

  function panel(name) {
    const entry = entries()[current];
    if (!entry) return;
    entry.querySelectorAll("details[data-panel]").forEach((d) => { d.open = d.dataset.panel === name; });
    const details = entry.querySelector(`details[data-panel="${name}"]`);
    const field = details && (details.querySelector("textarea[required]") || (name === "reply" && details.querySelector("textarea")) || details.querySelector("select, textarea, button"));
    if (field) field.focus();
  }

  function submit(verb) {
    const form = entries()[current] && entries()[current].querySelector(`form[data-verb="${verb}"]`);
    if (form) form.requestSubmit();
  }

  document.addEventListener("keydown", (event) => {
    const help = document.getElementById("mod-key-help");
    if (event.key === "Escape") {
      if (help && help.open) { help.close(); return; }
      const entry = entries()[current];
      if (entry) { entry.querySelectorAll("details[data-panel]").forEach((d) => { d.open = false; }); entry.focus(); }
      return;
    }
    if (typing(document.activeElement) || event.ctrlKey || event.metaKey || event.altKey) return;
    const actions = {
      j: () => select(current + 1), k: () => select(current - 1),
      a: () => submit("approve"), x: () => submit("escalate"), f: () => submit("false_positive"),
      h: () => panel("hide"), r: () => panel("reply"), s: () => panel("sanction"),
      "?": () => help && help.showModal(),
    };
    const action = actions[event.key];
    if (action) { event.preventDefault(); action(); }
  });

  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-suggest]")) {
      const text = event.target.closest("form").querySelector("textarea[name=text]");
      text.value = event.target.value;
    }
  });
  document.addEventListener("click", (event) => {
    const entry = event.target.closest("[data-entry]");
    if (entry) current = entries().indexOf(entry), entries().forEach((el) => el.classList.toggle("selected", el === entry));
    if (event.target.matches("[data-show-help]")) document.getElementById("mod-key-help").showModal();
    if (event.target.matches("[data-close-help]")) event.target.closest("dialog").close();
  });
  document.addEventListener("DOMContentLoaded", () => select(0));
})();
