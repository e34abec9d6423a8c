// basic-auth: a viewer gate with one shared password (auth.gate). Whoever
// knows the password gets a session as the one shared user "Guest"; there is
// no external provider and no network access.
//
//   GET  /          the sign-in form (the host sends viewers without a
//                   session here, with ?return_to=<where they were going>)
//   POST /login     password=...&return_to=... (a form); GET with the same
//                   query works too. Right: a session, then back to
//                   return_to. Wrong: the form again, with a message.
//   GET  /logout    ends the session
//   POST /revoke    admins only: every session is refused from the next page
//   POST /unrevoke  load on (onAuthCheck answers deny while revoked)
//
// The session cookie is the host's business: owncast.auth.grantSession and
// endSession set and clear it on this response; the plugin never sees it.
const { definePlugin, owncast, authCheck, escapeHtml } = require("@owncast/plugin-sdk");

const html = (status, body) => ({ status, headers: { "content-type": "text/html; charset=utf-8" }, body });
const redirect = (to) => ({ status: 302, headers: { location: to } });

/** Only paths of this site: a return_to elsewhere ("//evil", "https://...") goes to "/". */
function localPath(p) {
  const s = typeof p === "string" ? p : "";
  return s.startsWith("/") && !s.startsWith("//") && !s.startsWith("/\\") ? s : "/";
}

/** Compares without stopping at the first difference. */
function samePassword(a, b) {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

/** Fields of an application/x-www-form-urlencoded body. */
function formFields(body) {
  const out = {};
  for (const pair of String(body || "").split("&")) {
    if (!pair) continue;
    const [k, v = ""] = pair.split("=");
    const decode = (s) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, " "));
      } catch (_) {
        return s;
      }
    };
    out[decode(k)] = decode(v);
  }
  return out;
}

function form(returnTo, message) {
  return html(
    200,
    `<!doctype html><meta charset="utf-8"><title>Sign in</title>` +
      `<h1>This stream is private</h1>` +
      (message ? `<p role="alert">${escapeHtml(message)}</p>` : "") +
      `<form method="POST" action="login">` +
      `<input type="hidden" name="return_to" value="${escapeHtml(returnTo)}">` +
      `<input type="password" name="password" placeholder="Password" autofocus required> ` +
      `<button>Enter</button></form>`
  );
}

module.exports = definePlugin({
  onHttpRequest(req) {
    const fields = req.method === "POST" ? formFields(req.body) : req.query || {};
    const returnTo = localPath(fields.return_to);
    switch (req.path) {
      case "/":
        return form(returnTo, "");
      case "/login": {
        const expected = String(owncast.config.get("password", "letmein"));
        if (!samePassword(String(fields.password || ""), expected)) return form(returnTo, "Incorrect password.");
        const { userId } = owncast.users.register({ authId: "shared", displayName: "Guest" });
        owncast.auth.grantSession({ userId });
        return redirect(returnTo);
      }
      case "/logout":
        owncast.auth.endSession();
        return redirect("/");
      case "/revoke":
      case "/unrevoke":
        if (!req.authenticated) return { status: 403, body: "admins only" };
        if (req.method !== "POST") return { status: 405, headers: { allow: "POST" }, body: "use POST" };
        owncast.kv.set("revoked", req.path === "/revoke" ? "1" : "");
        return { status: 200, body: req.path === "/revoke" ? "revoked" : "unrevoked" };
      default:
        return { status: 404, body: "not found" };
    }
  },

  // The host asks on every page load of a viewer with a session.
  onAuthCheck() {
    return owncast.kv.get("revoked") === "1" ? authCheck.deny("access has been revoked") : authCheck.ok();
  },
});
