// viewer-gate: a modal asking the viewer to confirm. Yes closes it; No leaves.
(function () {
  if (window.__viewerGateShown) return;
  window.__viewerGateShown = true;
  function show() {
    var backdrop = document.createElement("div");
    backdrop.className = "viewer-gate-backdrop";
    var dialog = document.createElement("div");
    dialog.className = "viewer-gate-dialog";
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    var text = document.createElement("p");
    text.textContent = "This stream may not be for everyone. Continue?";
    var yes = document.createElement("button");
    yes.className = "viewer-gate-yes";
    yes.textContent = "Yes";
    yes.onclick = function () {
      backdrop.remove();
    };
    var no = document.createElement("button");
    no.className = "viewer-gate-no";
    no.textContent = "No";
    no.onclick = function () {
      window.location.href = "https://owncast.online";
    };
    dialog.append(text, yes, no);
    backdrop.appendChild(dialog);
    document.body.appendChild(backdrop);
    yes.focus();
  }
  if (document.body) show();
  else document.addEventListener("DOMContentLoaded", show);
})();
