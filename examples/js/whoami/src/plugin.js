// whoami: GET /plugins/whoami/api/me answers with the chat identity Owncast
// resolved for the request (`req.user`), so a viewer can check that their
// identity reaches plugins. No identity: 401 with a hint. The plugin does no
// authentication itself; the host fills `req.user` (or leaves it out).
const { definePlugin } = require("@owncast/plugin-sdk");

const json = (status, body) => ({ status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

module.exports = definePlugin({
  onHttpRequest(req) {
    if (req.method !== "GET" || req.path !== "/api/me") return { status: 404, body: "not found" };
    if (!req.user) {
      return json(401, { identified: false, message: "No chat identity came with this request. Join the chat, then reload." });
    }
    return json(200, { identified: true, user: req.user });
  },
});
