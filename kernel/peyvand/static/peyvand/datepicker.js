/* Peyvand date picker: a calendar under every date field (input.date-input), in the user's
   calendar (Jalali or Gregorian) and language (Persian digits and month names, or English).
   Progressive enhancement: the text field keeps working on its own, and the server reads any
   date typed in either calendar. Keyboard: Alt+Down (or the button) opens it; arrows move by a
   day or a week, Page Up/Down by a month, Home/End to the week's ends, Enter picks, Escape
   closes. The Jalali arithmetic uses the 33-year leap cycle, as the server (jdatetime) does. */
(function () {
  "use strict";
  var DAY = 86400000;
  var LEAP = [1, 5, 9, 13, 17, 22, 26, 30];
  var ANCHOR_YEAR = 1404, ANCHOR_DAY = Date.UTC(2025, 2, 21) / DAY; // 1 Farvardin 1404
  var FA_DIGITS = "۰۱۲۳۴۵۶۷۸۹";

  function isLeap(y) { return LEAP.indexOf(((y % 33) + 33) % 33) >= 0; }
  function yearStart(y) { // day number of 1 Farvardin of Jalali year y
    var day = ANCHOR_DAY, k;
    if (y >= ANCHOR_YEAR) { for (k = ANCHOR_YEAR; k < y; k++) { day += isLeap(k) ? 366 : 365; } }
    else { for (k = ANCHOR_YEAR - 1; k >= y; k--) { day -= isLeap(k) ? 366 : 365; } }
    return day;
  }
  function jalaliToDay(y, m, d) { return yearStart(y) + (m <= 7 ? (m - 1) * 31 : 186 + (m - 7) * 30) + d - 1; }
  function dayToJalali(day) {
    var y = ANCHOR_YEAR + Math.floor((day - ANCHOR_DAY) / 365.2422);
    while (yearStart(y) > day) { y--; }
    while (yearStart(y + 1) <= day) { y++; }
    var n = day - yearStart(y);
    if (n < 186) { return [y, Math.floor(n / 31) + 1, n % 31 + 1]; }
    n -= 186;
    return [y, 7 + Math.floor(n / 30), n % 30 + 1];
  }
  function gregorianToDay(y, m, d) { return Math.round(Date.UTC(y, m - 1, d) / DAY); }
  function dayToGregorian(day) {
    var t = new Date(day * DAY);
    return [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()];
  }
  function monthLength(cal, y, m) {
    if (cal === "jalali") { return m <= 6 ? 31 : m <= 11 ? 30 : (isLeap(y) ? 30 : 29); }
    return new Date(Date.UTC(y, m, 0)).getUTCDate();
  }
  window.peyvandCalendar = {
    toJalali: function (y, m, d) { return dayToJalali(gregorianToDay(y, m, d)); },
    toGregorian: function (y, m, d) { return dayToGregorian(jalaliToDay(y, m, d)); },
    isLeap: isLeap
  };

  var root = document.documentElement, body = document.body;
  var lang = root.getAttribute("lang") === "fa" ? "fa" : "en";
  var cal = body.getAttribute("data-calendar") === "gregorian" ? "gregorian" : "jalali";
  var rtl = root.getAttribute("dir") === "rtl";
  var words = (body.getAttribute("data-picker") || "Choose a date|Previous month|Next month|Today|Close").split("|");
  var MONTHS = {
    jalali: {fa: "فروردین اردیبهشت خرداد تیر مرداد شهریور مهر آبان آذر دی بهمن اسفند",
             en: "Farvardin Ordibehesht Khordad Tir Mordad Shahrivar Mehr Aban Azar Dey Bahman Esfand"},
    gregorian: {fa: "ژانویه فوریه مارس آوریل مه ژوئن ژوئیه اوت سپتامبر اکتبر نوامبر دسامبر",
                en: "January February March April May June July August September October November December"}
  }[cal][lang].split(" ");
  // Weeks start on Saturday in the Jalali calendar, on Monday in the Gregorian one.
  var firstWeekday = cal === "jalali" ? 6 : 1; // 0 = Sunday
  var WEEKDAYS = (lang === "fa" ? "ی د س چ پ ج ش" : "Su Mo Tu We Th Fr Sa").split(" ");

  function digits(text) {
    text = String(text);
    return lang === "fa" ? text.replace(/[0-9]/g, function (c) { return FA_DIGITS[+c]; }) : text;
  }
  function ascii(text) {
    return String(text).replace(/[۰-۹]/g, function (c) { return FA_DIGITS.indexOf(c); })
      .replace(/[٠-٩]/g, function (c) { return c.charCodeAt(0) - 0x660; });
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function toCal(day) { return cal === "jalali" ? dayToJalali(day) : dayToGregorian(day); }
  function fromCal(y, m, d) { return cal === "jalali" ? jalaliToDay(y, m, d) : gregorianToDay(y, m, d); }
  function format(day) {
    var p = toCal(day);
    if (cal === "jalali" || lang === "fa") { return digits(p[0] + "/" + pad(p[1]) + "/" + pad(p[2])); }
    return p[0] + "-" + pad(p[1]) + "-" + pad(p[2]);
  }
  function parse(text) { // {day, rest} or null: either calendar, Persian or Latin digits
    text = text || "";
    var found = /^\s*(\d{1,4})\s*[\/\-.]\s*(\d{1,2})\s*[\/\-.]\s*(\d{1,4})(.*)$/.exec(ascii(text));
    if (!found) { return null; }
    var a = +found[1], b = +found[2], c = +found[3], y, m, d;
    if (found[1].length >= 3 || a > 31) { y = a; m = b; d = c; } else { y = c; m = b; d = a; }
    var jalali = y < 1700;
    if (m < 1 || m > 12 || d < 1 || d > monthLength(jalali ? "jalali" : "gregorian", y, m)) { return null; }
    // What follows the date (a time), as typed: digits are folded one character for one.
    var rest = found[4] ? text.slice(text.length - found[4].length) : "";
    return {day: jalali ? jalaliToDay(y, m, d) : gregorianToDay(y, m, d), rest: rest};
  }
  function today() {
    var given = body.getAttribute("data-today"); // the user's today, in their time zone
    var parts = given && /^(\d{4})-(\d{2})-(\d{2})$/.exec(given);
    if (parts) { return gregorianToDay(+parts[1], +parts[2], +parts[3]); }
    var now = new Date();
    return gregorianToDay(now.getFullYear(), now.getMonth() + 1, now.getDate());
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function Picker(input) {
    this.input = input;
    var wrap = el("span", "date-wrap");
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var button = this.button = el("button", "date-button");
    button.type = "button";
    button.setAttribute("aria-label", words[0]);
    button.setAttribute("aria-haspopup", "dialog");
    button.setAttribute("aria-expanded", "false");
    button.innerHTML = '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><rect x="1.5" y="3" width="13" height="11.5" rx="1.5" fill="none" stroke="currentColor"/><path d="M1.5 6.5h13M5 1.5v3M11 1.5v3" stroke="currentColor"/></svg>';
    wrap.appendChild(button);
    var self = this;
    button.addEventListener("click", function () { self.open ? self.close(true) : self.show(); });
    input.addEventListener("keydown", function (event) {
      if (event.altKey && event.key === "ArrowDown") { event.preventDefault(); self.show(); }
      else if (event.key === "Escape" && self.open) { self.close(true); }
    });
  }
  Picker.prototype.show = function () {
    if (!this.popup) { this.build(); }
    var parsed = parse(this.input.value);
    this.chosen = parsed ? parsed.day : null;
    this.focus = parsed ? parsed.day : today();
    this.open = true;
    this.popup.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.render(true);
    var self = this;
    this.outside = function (event) {
      if (!self.popup.contains(event.target) && event.target !== self.button && !self.button.contains(event.target)) { self.close(false); }
    };
    document.addEventListener("mousedown", this.outside);
  };
  Picker.prototype.close = function (refocus) {
    if (!this.open) { return; }
    this.open = false;
    this.popup.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    document.removeEventListener("mousedown", this.outside);
    if (refocus) { this.input.focus(); }
  };
  Picker.prototype.build = function () {
    var self = this;
    var popup = this.popup = el("div", "datepicker");
    popup.setAttribute("role", "dialog");
    popup.setAttribute("aria-label", words[0]);
    var head = el("div", "datepicker-head");
    var prev = el("button", "datepicker-prev", rtl ? "›" : "‹");
    var next = el("button", "datepicker-next", rtl ? "‹" : "›");
    prev.type = next.type = "button";
    prev.setAttribute("aria-label", words[1]);
    next.setAttribute("aria-label", words[2]);
    this.title = el("span", "datepicker-title");
    this.title.setAttribute("aria-live", "polite");
    head.appendChild(prev); head.appendChild(this.title); head.appendChild(next);
    prev.addEventListener("click", function () { self.moveMonth(-1, false); });
    next.addEventListener("click", function () { self.moveMonth(1, false); });
    this.grid = el("table", "datepicker-grid");
    this.grid.setAttribute("role", "grid");
    var foot = el("div", "datepicker-foot");
    var todayButton = el("button", "linklike", words[3]);
    todayButton.type = "button";
    todayButton.addEventListener("click", function () { self.pick(today()); });
    var closeButton = el("button", "linklike", words[4]);
    closeButton.type = "button";
    closeButton.addEventListener("click", function () { self.close(true); });
    foot.appendChild(todayButton); foot.appendChild(closeButton);
    popup.appendChild(head); popup.appendChild(this.grid); popup.appendChild(foot);
    popup.addEventListener("keydown", function (event) { self.key(event); });
    this.input.parentNode.appendChild(popup);
  };
  Picker.prototype.moveMonth = function (delta, keepFocus) {
    var p = toCal(this.focus), y = p[0], m = p[1] + delta;
    while (m < 1) { m += 12; y--; }
    while (m > 12) { m -= 12; y++; }
    this.focus = fromCal(y, m, Math.min(p[2], monthLength(cal, y, m)));
    this.render(keepFocus);
  };
  Picker.prototype.render = function (focusDay) {
    var p = toCal(this.focus), y = p[0], m = p[1];
    this.title.textContent = MONTHS[m - 1] + " " + digits(y);
    var first = fromCal(y, m, 1), length = monthLength(cal, y, m);
    var weekday = (new Date(first * DAY).getUTCDay() - firstWeekday + 7) % 7;
    var grid = this.grid, self = this, now = today();
    grid.textContent = "";
    var row = el("tr");
    for (var i = 0; i < 7; i++) {
      var th = el("th", "", WEEKDAYS[(firstWeekday + i) % 7]);
      th.setAttribute("scope", "col");
      row.appendChild(th);
    }
    grid.appendChild(el("thead")).appendChild(row);
    var body = grid.appendChild(el("tbody"));
    row = body.appendChild(el("tr"));
    for (i = 0; i < weekday; i++) { row.appendChild(el("td")); }
    for (var d = 1; d <= length; d++) {
      if ((weekday + d - 1) % 7 === 0 && d > 1) { row = body.appendChild(el("tr")); }
      var day = first + d - 1;
      var cell = row.appendChild(el("td"));
      var b = cell.appendChild(el("button", "datepicker-day", digits(d)));
      b.type = "button";
      b.setAttribute("data-day", String(day));
      b.setAttribute("data-date", format(day));
      b.setAttribute("aria-label", digits(d) + " " + MONTHS[m - 1] + " " + digits(y));
      b.tabIndex = day === this.focus ? 0 : -1;
      if (day === this.chosen) { b.setAttribute("aria-pressed", "true"); }
      if (day === now) { b.classList.add("today"); }
      b.addEventListener("click", function (event) { self.pick(+event.currentTarget.getAttribute("data-day")); });
    }
    if (focusDay) {
      var target = grid.querySelector('[data-day="' + this.focus + '"]');
      if (target) { target.focus(); }
    }
  };
  Picker.prototype.key = function (event) {
    var step = {ArrowLeft: rtl ? 1 : -1, ArrowRight: rtl ? -1 : 1, ArrowUp: -7, ArrowDown: 7}[event.key];
    if (event.key === "Escape") { event.preventDefault(); this.close(true); return; }
    if (event.key === "Tab") { return; } // the popup's buttons stay reachable
    if (!event.target.classList.contains("datepicker-day")) { return; }
    if (step) { this.focus += step; }
    else if (event.key === "PageUp" || event.key === "PageDown") { this.moveMonth(event.key === "PageUp" ? -1 : 1, true); event.preventDefault(); return; }
    else if (event.key === "Home" || event.key === "End") {
      var offset = (new Date(this.focus * DAY).getUTCDay() - firstWeekday + 7) % 7;
      this.focus += event.key === "Home" ? -offset : 6 - offset;
    } else if (event.key === "Enter" || event.key === " ") { event.preventDefault(); this.pick(this.focus); return; }
    else { return; }
    event.preventDefault();
    this.render(true);
  };
  Picker.prototype.pick = function (day) {
    var parsed = parse(this.input.value);
    var rest = parsed && parsed.rest.trim() ? " " + parsed.rest.trim() : "";
    this.input.value = format(day) + rest; // a datetime keeps the time typed after the date
    this.input.dispatchEvent(new Event("input", {bubbles: true}));
    this.input.dispatchEvent(new Event("change", {bubbles: true}));
    this.close(true);
  };

  document.querySelectorAll("input.date-input").forEach(function (input) {
    if (!input.readOnly && !input.disabled) { input.peyvandPicker = new Picker(input); }
  });
})();
