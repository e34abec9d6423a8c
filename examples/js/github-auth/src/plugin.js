// github-auth: a viewer gate (auth.gate) where viewers sign in with GitHub,
// OAuth's authorization-code flow served as a small web app under
// /plugins/github-auth/:
//
//   GET /          "Sign in with GitHub" (the host sends viewers without a
//                  session here, with ?return_to=...). Remembers a fresh
//                  random `state` with where the viewer was going.
//   GET /callback  GitHub sends the viewer back with ?code&state: the state
//                  must be one this plugin issued (once, within 10 minutes),
//                  the code is exchanged for a token, the token names the
//                  GitHub user, who is registered and given a session.
//   GET /logout    ends the session
//
// The session cookie belongs to the host (owncast.auth.grantSession sets it on
// the callback's response); the GitHub token is used for one request and kept
// nowhere.
const { definePlugin, owncast, escapeHtml } = require("@owncast/plugin-sdk");

const AUTHORIZE = "https://github.com/login/oauth/authorize";
const TOKEN = "https://github.com/login/oauth/access_token";
const USER = "https://api.github.com/user";
const STATE_TTL_MS = 10 * 60 * 1000;

const page = (status, body) => ({
  status,
  headers: { "content-type": "text/html; charset=utf-8" },
  body: `<!doctype html><meta charset="utf-8"><title>Sign in</title><h1>This stream is private</h1>${body}`,
});
const redirect = (to) => ({ status: 302, headers: { location: to } });

/** Only paths of this site (no open redirect). */
function localPath(p) {
  const s = typeof p === "string" ? p : "";
  return s.startsWith("/") && !s.startsWith("//") && !s.startsWith("/\\") ? s : "/";
}

/** 128 random bits as hex (Math.random is seeded per instance from the host's randomness). */
function randomState() {
  let s = "";
  for (let i = 0; i < 4; i++) s += Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, "0");
  return s;
}

/** The return path a state was issued for, once; null when unknown, used or expired. */
function takeState(state) {
  if (!/^[0-9a-zA-Z_-]{8,64}$/.test(state)) return null;
  const key = `oauth_state:${state}`;
  const saved = owncast.kv.getJSON(key, null);
  if (!saved) return null;
  owncast.kv.set(key, "");
  if (typeof saved.at === "number" && Date.now() - saved.at > STATE_TTL_MS) return null;
  return localPath(saved.returnTo);
}

function json(res) {
  try {
    return JSON.parse(res.body || "null");
  } catch (_) {
    return null;
  }
}

/** The GitHub account behind `code`, or {error}. */
function githubUser(code) {
  const token = json(
    owncast.http.fetch(TOKEN, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify({
        client_id: owncast.config.get("clientId", ""),
        client_secret: owncast.config.get("clientSecret", ""),
        code,
      }),
    })
  );
  if (!token || !token.access_token) return { error: (token && token.error_description) || "GitHub refused the sign-in code" };
  const res = owncast.http.fetch(USER, {
    headers: { authorization: `Bearer ${token.access_token}`, accept: "application/json" },
  });
  const user = res.status === 200 ? json(res) : null;
  if (!user || user.id === undefined || user.id === null) return { error: "GitHub did not say who signed in" };
  return user;
}

module.exports = definePlugin({
  onHttpRequest(req) {
    const q = req.query || {};
    if (req.method !== "GET") return { status: 405, headers: { allow: "GET" }, body: "method not allowed" };

    if (req.path === "/") {
      const clientId = String(owncast.config.get("clientId", ""));
      if (!clientId) return page(503, "<p>GitHub sign-in is not set up yet: the admin has to enter the OAuth app's client id.</p>");
      const state = randomState();
      owncast.kv.setJSON(`oauth_state:${state}`, { returnTo: localPath(q.return_to), at: Date.now() });
      const url = `${AUTHORIZE}?client_id=${encodeURIComponent(clientId)}&scope=read:user&state=${state}`;
      return page(200, `<p><a href="${escapeHtml(url)}">Sign in with GitHub</a></p>`);
    }

    if (req.path === "/callback") {
      const returnTo = takeState(String(q.state || ""));
      if (returnTo === null) return { status: 400, body: "invalid or expired state" };
      if (!q.code) return { status: 400, body: "missing code" };
      const gh = githubUser(String(q.code));
      if (gh.error) return page(502, `<p>${escapeHtml(gh.error)}</p><p><a href="./">Try again</a></p>`);
      const { userId } = owncast.users.register({
        authId: `github:${gh.id}`,
        displayName: gh.name || gh.login || `github:${gh.id}`,
        handle: gh.login || undefined,
        profileUrl: /^https:\/\//.test(gh.html_url || "") ? gh.html_url : undefined,
      });
      owncast.auth.grantSession({ userId });
      return redirect(returnTo);
    }

    if (req.path === "/logout") {
      owncast.auth.endSession();
      return redirect("/");
    }

    return { status: 404, body: "not found" };
  },
});
