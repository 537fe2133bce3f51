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
  // Suggestions under the global search box as one types: ArrowUp/ArrowDown pick, Enter opens
  // the record, Escape closes (ARIA combobox). Without them the form still goes to /search.
  var form = document.querySelector("form[data-suggest]");
  var input = form && form.querySelector("input[name=q]");
  if (input && window.fetch) {
    var list = document.createElement("ul"), timer = 0, active = -1, pending = null;
    list.id = input.id + "-list";
    list.className = "suggest";
    list.hidden = true;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", form.getAttribute("data-suggest-label"));
    form.appendChild(list);
    [["role", "combobox"], ["aria-autocomplete", "list"], ["aria-controls", list.id],
     ["aria-expanded", "false"], ["autocomplete", "off"]].forEach(function (a) { input.setAttribute(a[0], a[1]); });
    var options = function () { return list.querySelectorAll("[role=option]"); };
    var show = function (items) {
      list.textContent = "";
      items.forEach(function (item, i) {
        var li = document.createElement("li"), title = document.createElement("bdi"), kind = document.createElement("span");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-url", item.url);
        title.textContent = item.title;
        kind.className = "badge";
        kind.textContent = item.entity;
        li.appendChild(title);
        li.appendChild(kind);
        list.appendChild(li);
      });
      active = -1;
      list.hidden = !items.length;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      input.removeAttribute("aria-activedescendant");
    };
    var mark = function (index) {
      var all = options();
      active = (index + all.length) % all.length;
      all.forEach(function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", all[active].id);
    };
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var query = input.value.trim();
      if (query.length < 2) { show([]); return; }
      timer = setTimeout(function () {
        if (pending) { pending.abort(); }
        pending = window.AbortController ? new AbortController() : null;
        fetch(form.getAttribute("data-suggest") + "?q=" + encodeURIComponent(query),
              {credentials: "same-origin", headers: {Accept: "application/json"}, signal: pending && pending.signal})
          .then(function (r) { return r.ok ? r.json() : {}; })
          .then(function (data) { if (input.value.trim() === query) { show(data.items || []); } })
          .catch(function () {});
      }, 200);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        mark(event.key === "ArrowDown" ? active + 1 : Math.max(active, 0) - 1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.href = options()[active].getAttribute("data-url");
      } else if (event.key === "Escape") {
        event.preventDefault();
        show([]);
      }
    });
    list.addEventListener("mousedown", function (event) {
      var li = event.target.closest("[role=option]");
      if (li) { event.preventDefault(); window.location.href = li.getAttribute("data-url"); }
    });
    input.addEventListener("blur", function () { show([]); });
  }
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
