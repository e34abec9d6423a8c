// oauth-gate-test: a test-only viewer gate that signs viewers in against a
// local OAuth 2 / OpenID Connect provider with the standard authorization-code
// flow (for integration tests of auth.gate; not for production).
//
//   GET /          straight to the provider's /authorize (response_type=code,
//                  client_id, redirect_uri, scope=openid profile, state)
//   GET /callback  ?code&state: the state must be one issued here (once); the
//                  code goes to the provider's /token (form-encoded, with the
//                  client secret), the access token to /userinfo; its `sub`
//                  is registered and given a session
//   GET /logout    ends the session
const { definePlugin, owncast } = require("@owncast/plugin-sdk");

const redirect = (to, headers) => ({ status: 302, headers: Object.assign({ location: to }, headers) });
const fail = (status, why) => ({ status, headers: { "content-type": "text/plain; charset=utf-8" }, body: why });

function settings() {
  return {
    issuer: String(owncast.config.get("issuer", "http://localhost:9876")).replace(/\/+$/, ""),
    clientId: String(owncast.config.get("clientId", "owncast-test")),
    clientSecret: String(owncast.config.get("clientSecret", "test-secret")),
    redirectUri: String(owncast.config.get("redirectUri", "http://localhost:8080/plugins/oauth-gate-test/callback")),
  };
}

const local = (p) => (typeof p === "string" && /^\/(?![/\\])/.test(p) ? p : "/");
const form = (fields) =>
  Object.keys(fields)
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(fields[k])}`)
    .join("&");

function parse(res) {
  try {
    return res.status >= 200 && res.status < 300 ? JSON.parse(res.body) : null;
  } catch (_) {
    return null;
  }
}

module.exports = definePlugin({
  onHttpRequest(req) {
    const q = req.query || {};
    const s = settings();

    if (req.path === "/") {
      let state = "";
      for (let i = 0; i < 4; i++) state += Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, "0");
      owncast.kv.set(`state:${state}`, local(q.return_to));
      return redirect(
        `${s.issuer}/authorize?${form({
          response_type: "code",
          client_id: s.clientId,
          redirect_uri: s.redirectUri,
          scope: "openid profile",
          state,
        })}`
      );
    }

    if (req.path === "/callback") {
      const key = `state:${String(q.state || "").slice(0, 64)}`;
      const returnTo = q.state ? owncast.kv.get(key) : null;
      if (!returnTo) return fail(400, "invalid or expired state");
      owncast.kv.set(key, "");
      if (q.error) return fail(401, `the provider refused: ${q.error}`);
      const token = parse(
        owncast.http.fetch(`${s.issuer}/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
          body: form({
            grant_type: "authorization_code",
            code: String(q.code || ""),
            redirect_uri: s.redirectUri,
            client_id: s.clientId,
            client_secret: s.clientSecret,
          }),
        })
      );
      if (!token || !token.access_token) return fail(502, "the token exchange failed");
      const info = parse(
        owncast.http.fetch(`${s.issuer}/userinfo`, { headers: { authorization: `Bearer ${token.access_token}` } })
      );
      if (!info || !info.sub) return fail(502, "the provider did not say who signed in");
      const { userId } = owncast.users.register({
        authId: String(info.sub),
        displayName: info.name || info.preferred_username || null,
      });
      owncast.auth.grantSession({ userId });
      return redirect(returnTo);
    }

    if (req.path === "/logout") {
      owncast.auth.endSession();
      return redirect("/");
    }
    return fail(404, "not found");
  },
});
