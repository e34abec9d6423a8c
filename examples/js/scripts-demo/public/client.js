// scripts-demo: runs in the viewer page (a shared window: keep to an IIFE).
(function () {
  if (window.__pluginScriptsDemoLoaded) return;
  window.__pluginScriptsDemoLoaded = true;
  console.log("[scripts-demo] plugin script loaded");
  function banner() {
    var el = document.createElement("div");
    el.textContent = "scripts-demo: the plugin's JavaScript ran on this page";
    el.setAttribute("role", "status");
    el.style.cssText =
      "position:fixed;bottom:0;left:0;right:0;z-index:10000;padding:6px 12px;" +
      "background:#2563eb;color:#fff;font:600 14px/1.4 system-ui,sans-serif;text-align:center";
    document.body.appendChild(el);
  }
  if (document.body) banner();
  else document.addEventListener("DOMContentLoaded", banner);
})();
