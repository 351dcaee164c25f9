// CEPAT's only script (the Content-Security-Policy allows no inline script): a select marked data-autosubmit sends
// its form when changed (the language switch); without JavaScript its <noscript> button does the same.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
});
