/* Behaviours every page shares, wired by data-attributes so the Content-Security-Policy can forbid
   inline scripts and handlers (docs/configuration.md, "Content-Security-Policy"):
   - data-autosubmit on a field: changing it submits its form (workspace, language, filters);
   - data-confirm on a form or on its submit button: a confirmation before the form is sent;
   - data-autoselect on a read-only field: a click selects its text (a token shown once);
   - data-click-on-key on a focusable label: Enter or Space clicks it (the phone menu);
   - data-demo-login on a button: fills the sign-in form with its data-email and data-password. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) field.form.submit();
  });

  // Capture phase: the question comes before htmx or another listener sends the form.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.dataset && button.dataset.confirm) || (form.dataset && form.dataset.confirm);
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) return;
    if (target.matches("[data-autoselect]")) target.select();
    var demo = target.closest("[data-demo-login]");
    if (demo) {
      var form = demo.closest("article").querySelector("form");
      form.elements.username.value = demo.dataset.email;
      form.elements.password.value = demo.dataset.password;
      form.requestSubmit();
    }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target.matches || !target.matches("[data-click-on-key]")) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      target.click();
    }
  });
})();
