// The code page's small enhancements (an external file because the CSP forbids inline scripts).
// Without JavaScript the time zone stays UTC (or the saved one) and countries show their codes.
(function () {
  "use strict";
  // A new code's times are typed in the browser's zone unless the owner picks another.
  var zone = document.querySelector("select[data-browser-zone]");
  if (zone && window.Intl && Intl.DateTimeFormat) {
    var here = Intl.DateTimeFormat().resolvedOptions().timeZone;
    for (var i = 0; here && i < zone.options.length; i++) {
      if (zone.options[i].value === here) { zone.value = here; break; }
    }
  }
  // Country codes get their names in the browser's language ("DE — Germany").
  if (window.Intl && Intl.DisplayNames) {
    var names;
    try { names = new Intl.DisplayNames([navigator.language || "en"], { type: "region" }); } catch (e) { return; }
    document.querySelectorAll("select.country-select option").forEach(function (option) {
      if (option.value.length !== 2) return;
      var name = names.of(option.value);
      if (name && name !== option.value) option.textContent = option.value + " — " + name;
    });
  }
})();
