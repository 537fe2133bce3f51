/* Contact form: "Add another" copies the list's last row, emptied, without a reload. */
(function () {
  "use strict";
  if (window.listRows) { return; }
  window.listRows = 1;
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest(".list-add");
    if (!b) { return; }
    e.preventDefault();
    var last = b.previousElementSibling, n = +last.dataset.row + 1, row = last.cloneNode(true);
    row.dataset.row = n;
    row.className = "list-row";
    row.querySelectorAll(".field-error,.list-remove").forEach(function (x) { x.remove(); });
    row.querySelectorAll("input,select").forEach(function (x) {
      x.name = x.name.replace(/-\d+-/, "-" + n + "-");
      x.removeAttribute("aria-invalid");
      if (x.type === "radio") { x.value = n; x.checked = false; } else { x.value = ""; }
    });
    last.after(row);
    row.querySelector("input").focus();
  });
})();
