// admin-demo: pages for the streamer. The manifest's `admin.pages` puts them
// in Owncast's admin menu; the host lets only admins reach /admin/*, so the
// plugin never checks.
//
//   GET  /                     public landing page (public/index.html)
//   GET  /admin/               settings page (public/admin/index.html)
//   GET  /admin/api/settings   the stored settings (JSON)
//   POST /admin/api/settings   replace them (any JSON object) -> 204
const { definePlugin, owncast } = require("@owncast/plugin-sdk");

const KEY = "settings";

module.exports = definePlugin({
  onHttpRequest(req) {
    if (req.path !== "/admin/api/settings") return { status: 404 };
    if (req.method === "GET") {
      return { status: 200, headers: { "content-type": "application/json" }, body: owncast.kv.get(KEY) || "{}" };
    }
    if (req.method === "POST") {
      let settings;
      try {
        settings = JSON.parse(req.body || "");
      } catch (e) {
        return { status: 400, body: "invalid JSON" };
      }
      if (!settings || typeof settings !== "object" || Array.isArray(settings)) {
        return { status: 400, body: "settings must be a JSON object" };
      }
      owncast.kv.set(KEY, JSON.stringify(settings));
      return { status: 204 };
    }
    return { status: 405, headers: { allow: "GET, POST" } };
  },
});
