/* Peyvand workspace: the little JavaScript the pages use. Everything works without it. */
(function () {
  "use strict";
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
})();
