// The settings page, enhanced: offer the browser's own time zone with one
// click when it differs from the saved one. Without script the page works
// the same; the zone is typed or picked from the list.
(function () {
  var input = document.getElementById("time_zone");
  var hint = document.getElementById("zone-suggest");
  if (!input || !hint || !window.Intl) return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || zone === input.value) return;
  var button = hint.querySelector("button");
  button.textContent = "Use " + zone + ", this browser's zone";
  button.addEventListener("click", function () {
    input.value = zone;
    hint.hidden = true;
    input.focus();
  });
  hint.hidden = false;
})();
