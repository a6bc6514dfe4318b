// The crisis room's copy buttons: data-copy names the field whose text goes to the clipboard,
// data-done the label shown for a moment after.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.dataset.copy);
    var done = function () {
      var label = button.textContent;
      button.textContent = button.dataset.done;
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(field.value).then(done); }
    else { field.select(); document.execCommand("copy"); done(); }
  });
})();
