/* The import's progress page: poll the import's status and move the bar; reload when done. */
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("progress");
  var state = box.querySelector("[data-state]");
  var phase = box.querySelector("[data-phase]");
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (info) {
        if (!info) { setTimeout(poll, 3000); return; }
        if (info.state === "done" || info.state === "failed") { window.location.reload(); return; }
        if (info.percent !== null) { bar.value = info.percent; }
        state.textContent = info.state_label;
        phase.textContent = [info.phase_label, info.rows_text].filter(Boolean).join(" · ");
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 700);
})();
