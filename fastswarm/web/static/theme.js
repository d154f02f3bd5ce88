// Loaded before the page paints (not a module: modules are deferred), so a dark theme chosen
// earlier never flashes light. The choice lives in localStorage; with none, the system's.
"use strict";
(function () {
  var saved = null;
  try { saved = localStorage.getItem("fastswarm.theme"); } catch (err) { /* storage blocked */ }
  var dark = saved ? saved === "dark" : window.matchMedia("(prefers-color-scheme: dark)").matches;
  if (dark) document.documentElement.classList.add("dark");
})();
