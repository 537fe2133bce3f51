/* Contact form: "Add another" copies the list's last row, emptied, instead of reloading. */
(function () {
  "use strict";
  if (window.listRows) { return; }
  window.listRows = 1;
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest(".list-add");
    if (!b) { return; }
    e.preventDefault();
    var rows = b.parentNode.querySelectorAll(".list-row"), last = rows[rows.length - 1];
    var n = +last.getAttribute("data-row") + 1, row = last.cloneNode(true);
    row.setAttribute("data-row", n);
    row.className = "list-row";
    row.querySelectorAll(".field-error,.list-remove").forEach(function (x) { x.remove(); });
    row.querySelectorAll("input,select").forEach(function (x) {
      x.name = x.name.replace(/-\d+-/, "-" + n + "-");
      x.removeAttribute("aria-invalid");
      if (x.type === "radio") { x.value = n; x.checked = false; } else { x.value = ""; }
    });
    b.parentNode.insertBefore(row, b);
    row.querySelector("input").focus();
  });
})();
