/* Peyvand workspace: the little JavaScript the pages use. Everything works without it. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // "/" jumps to the global search box, as in most web apps.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      var box = document.getElementById("global-q");
      if (box) { event.preventDefault(); box.focus(); box.select(); }
    }
  });
  // The side menu starts folded on a phone.
  if (window.matchMedia && window.matchMedia("(max-width: 720px)").matches) {
    var nav = document.querySelector(".sidenav");
    if (nav) { nav.removeAttribute("open"); }
  }
  // Print views: the print button, and the print dialog once the page is shown.
  var printButton = document.querySelector("[data-print]");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
  }
  // A menu that opens what it names (the saved views of a list).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // "Tick all rows" of a list.
  document.querySelectorAll("[data-check-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      box.closest("table").querySelectorAll("tbody input[type=checkbox]").forEach(function (row) {
        row.checked = box.checked;
      });
    });
  });
  // A button that asks first (deleting a saved view).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
  });
  // A confirmation that needs a word typed (purging a plugin): the button waits for it.
  document.querySelectorAll("input[data-must-type]").forEach(function (input) {
    var button = input.form.querySelector("button[type=submit]");
    var check = function () { button.disabled = input.value.trim() !== input.getAttribute("data-must-type"); };
    input.addEventListener("input", check);
    check();
  });
})();
