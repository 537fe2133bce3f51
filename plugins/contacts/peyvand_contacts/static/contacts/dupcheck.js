/* The new-person form: ask the server for likely duplicates while the user types. */
(function () {
  "use strict";
  var box = document.getElementById("dup-warning");
  if (!box || !window.fetch || !window.FormData) { return; }
  var form = box.closest("form");
  var url = box.getAttribute("data-check-url");
  // The single fields, or the rows of the e-mail and phone lists (phones-0-value, ...).
  var watched = /^(first_name|last_name|email|phone|organization_id|(emails|phones)-\d+-value)$/;
  var timer = null, asked = 0, last = "";
  function check() {
    var data = new FormData(form), key = "";
    data.forEach(function (v, k) { if (watched.test(k)) { key += k + "=" + v + "\u001f"; } });
    if (key === last) { return; }
    last = key;
    var mine = ++asked;
    fetch(url, {method: "POST", body: data, credentials: "same-origin"})
      .then(function (answer) { return answer.ok ? answer.text() : ""; })
      .then(function (html) { if (mine === asked) { box.innerHTML = html; } })
      .catch(function () { /* the form still works; the server checks nothing here */ });
  }
  function later(event) {
    if (!watched.test(event.target.name)) { return; }
    clearTimeout(timer);
    timer = setTimeout(check, 350);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
