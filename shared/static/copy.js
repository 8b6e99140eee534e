// Copy buttons: <button type="button" data-copy="ID"> copies the value of the input with that id.
// An external file because the CSP forbids inline scripts; delegated from the document so buttons
// that htmx swaps in keep working. Without JavaScript the input is still readonly and selectable.
(function () {
  "use strict";
  // Buttons marked `hidden` would do nothing without JavaScript; with it, they are shown.
  var reveal = function () {
    document.querySelectorAll("[data-copy][hidden]").forEach(function (b) { b.hidden = false; });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", reveal);
  else reveal();
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) return;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        if (document.execCommand("copy")) done();
      });
    } else if (document.execCommand("copy")) {
      done();
    }
  });
})();
