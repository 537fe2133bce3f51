// The kanban board: drag a card to another column. The server checks the move (the stage,
// the user's right, the card's version) and answers the new column totals; without this
// script each card's own "Move to…" form does the same.
(function () {
  "use strict";
  var board = document.querySelector(".board");
  if (!board) { return; }
  var status = document.getElementById("board-status");
  var dragged = null;

  function say(text, bad) {
    status.textContent = text;
    status.className = "board-status" + (bad ? " flash flash-error" : " flash flash-success");
  }

  function updateTotals(columns) {
    // The server formats the numbers (digits, grouping, currency names) as the page does.
    Object.keys(columns || {}).forEach(function (key) {
      var column = board.querySelector('.board-column[data-stage="' + key + '"]');
      if (!column) { return; }
      var count = column.querySelector("[data-count]");
      if (count) { count.textContent = columns[key].count_text; }
      var amount = column.querySelector("[data-amount]");
      if (amount && columns[key].amount_text) { amount.textContent = columns[key].amount_text; }
    });
  }

  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".deal-card");
    if (!card || card.getAttribute("draggable") !== "true") { return; }
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-deal"));
  });
  board.addEventListener("dragend", function (event) {
    var card = event.target.closest && event.target.closest(".deal-card");
    if (card) { card.classList.remove("dragging"); }
    board.querySelectorAll(".drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
  });
  board.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (!column || !dragged) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("drop-target");
  });
  board.addEventListener("dragleave", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (column && !column.contains(event.relatedTarget)) { column.classList.remove("drop-target"); }
  });
  board.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (!column || !dragged) { return; }
    event.preventDefault();
    column.classList.remove("drop-target");
    var card = dragged;
    dragged = null;
    card.classList.remove("dragging");
    var from = card.closest(".board-column");
    if (from === column) { return; }
    var body = new FormData();
    body.append("csrf_token", board.getAttribute("data-csrf"));
    body.append("deal_id", card.getAttribute("data-deal"));
    body.append("version", card.getAttribute("data-version"));
    body.append("stage", column.getAttribute("data-stage"));
    card.setAttribute("aria-busy", "true");
    fetch(board.getAttribute("data-move-url"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRF-Token": board.getAttribute("data-csrf")}
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (answer) {
      card.removeAttribute("aria-busy");
      if (!answer.ok) { say(answer.data.message || board.getAttribute("data-error"), true); return; }
      column.querySelector("[data-cards]").prepend(card);
      card.setAttribute("data-version", answer.data.deal.version);
      var select = card.querySelector("select[name=stage]");
      if (select) { select.value = answer.data.deal.stage; }
      var version = card.querySelector("input[name=version]");
      if (version) { version.value = answer.data.deal.version; }
      updateTotals(answer.data.columns);
      var title = column.querySelector("h2").textContent;
      say(board.getAttribute("data-moved").replace("%(stage)s", title), false);
    }).catch(function () {
      card.removeAttribute("aria-busy");
      say(board.getAttribute("data-error"), true);
    });
  });
})();
