/* Counts the reply box's characters (and bytes, when the channel limits them) as the agent types. The page
   already shows the count the server made; this only keeps it current. Loaded with the page's script nonce. */
(function () {
  "use strict";
  var encoder = typeof TextEncoder === "function" ? new TextEncoder() : null;
  document.querySelectorAll("textarea[data-count]").forEach(function (box) {
    var line = document.getElementById(box.getAttribute("data-count"));
    if (!line) { return; }
    var chars = line.querySelector("[data-chars]");
    var bytes = line.querySelector("[data-bytes]");
    var maxChars = parseInt(box.getAttribute("data-max-chars") || "", 10);
    var maxBytes = parseInt(box.getAttribute("data-max-bytes") || "", 10);
    function update() {
      var text = box.value;
      var charCount = Array.from(text).length;
      var byteCount = encoder ? encoder.encode(text).length : text.length;
      if (chars) { chars.textContent = String(charCount); }
      if (bytes) { bytes.textContent = String(byteCount); }
      var over = (maxChars > 0 && charCount > maxChars) || (maxBytes > 0 && byteCount > maxBytes);
      line.classList.toggle("over", over);
    }
    box.addEventListener("input", update);
    update();
  });
})();
