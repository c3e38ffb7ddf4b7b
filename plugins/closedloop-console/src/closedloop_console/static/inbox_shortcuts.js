/* Keyboard shortcuts of the inbox: j or Down the next row, k or Up the previous one, Enter or o opens it, x ticks
   it for the bulk buttons, / goes to the search box, ? shows the list of them. Each only moves the focus or does
   what a click on the page does; typing in a field is never taken, and the arrows keep scrolling the page until a
   row is chosen. */
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.inbox tbody tr.row"));
  var current = -1;
  function linkOf(row) { return row.querySelector("td.customer a"); }
  function choose(index) {
    if (!rows.length) { return; }
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (current >= 0 && rows[current]) { rows[current].classList.remove("chosen"); }
    current = index;
    rows[current].classList.add("chosen");
    var link = linkOf(rows[current]);
    if (link) { link.focus(); }
    rows[current].scrollIntoView({ block: "nearest" });
  }
  function open() {
    var link = current >= 0 ? linkOf(rows[current]) : null;
    if (link) { window.location.href = link.href; }
  }
  function tick() {
    var box = current >= 0 ? rows[current].querySelector('input[name="conversation"]') : null;
    if (box) { box.click(); }
  }
  function search() {
    var field = document.getElementById("q");
    if (field) { field.focus(); field.select(); }
  }
  function toggleList() {
    var list = document.getElementById("shortcuts");
    if (list) { list.open = !list.open; if (list.open) { list.scrollIntoView({ block: "nearest" }); } }
  }
  rows.forEach(function (row, index) {
    row.addEventListener("focusin", function () {
      if (current >= 0 && rows[current]) { rows[current].classList.remove("chosen"); }
      current = index;
      row.classList.add("chosen");
    });
  });
  var keys = {
    "j": function () { choose(current + 1); },
    "k": function () { choose(current < 0 ? 0 : current - 1); },
    "ArrowDown": function () { choose(current + 1); },
    "ArrowUp": function () { choose(current - 1); },
    "o": open,
    "Enter": open,
    "x": tick,
    "/": search,
    "?": toggleList
  };
  function typing(target) {
    if (!target) { return false; }
    if (target.isContentEditable || /^(TEXTAREA|SELECT)$/.test(target.tagName)) { return true; }
    return target.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset)$/.test(target.type);
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) { return; }
    var target = event.target;
    if (typing(target)) {
      if (event.key === "Escape" && target.blur) { target.blur(); }
      return;
    }
    var run = keys[event.key];
    if (!run) { return; }
    var inRows = current >= 0 && rows[current].contains(target);
    // the arrows scroll the page, and Enter follows a focused link or presses a button, until a row is chosen
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && !inRows) { return; }
    if (event.key === "Enter" && !inRows) { return; }
    event.preventDefault();
    run();
  });
})();
