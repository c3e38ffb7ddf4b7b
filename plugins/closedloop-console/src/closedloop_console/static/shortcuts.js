/* Keyboard shortcuts of the customer file: j next, k previous, r reply, n note, d done, ? the list of them.
   Every one of them only does what a link or button on the page does; typing in a field is never taken. */
(function () {
  "use strict";
  function follow(rel) {
    var link = document.querySelector('a[rel="' + rel + '"]');
    if (link) { window.location.href = link.href; }
  }
  function focusField(id) {
    var field = document.getElementById(id);
    if (field) { field.focus(); field.scrollIntoView({ block: "center" }); }
  }
  function submitAction(name) {
    var button = document.querySelector('[data-action="' + name + '"]');
    if (button) { button.click(); }
  }
  function toggleList() {
    var list = document.getElementById("shortcuts");
    if (list) { list.open = !list.open; if (list.open) { list.scrollIntoView({ block: "nearest" }); } }
  }
  var keys = {
    "j": function () { follow("next"); },
    "k": function () { follow("prev"); },
    "r": function () { focusField("reply-body"); },
    "n": function () { focusField("note-body"); },
    "d": function () { submitAction("done"); },
    "?": toggleList
  };
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) { return; }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      if (event.key === "Escape" && target.blur) { target.blur(); }
      return;
    }
    var run = keys[event.key];
    if (run) { event.preventDefault(); run(); }
  });
})();
