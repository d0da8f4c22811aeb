// A real browser submits the one-click form at once; a link previewer or mail scanner that
// does not run scripts only sees the page (GET changes nothing).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-auto]");
  if (form) { form.submit(); }
});
