// action-buttons: viewer action buttons. Three come from the manifest's
// `actions` (two links and one inline HTML notice); the streamer can add one
// more at run time from the admin page, which this plugin keeps in its KV
// store and publishes with owncast.actions (ui.modify):
//
//   GET  /admin/api/custom-button   the saved button ({title, url}, empty when none),
//                                   republished so viewers see what the admin sees
//   POST /admin/api/custom-button   {title, url}: save and publish;
//                                   both empty: remove; one empty: 400
// The host validates each button (title, exactly one of url/html, URLs) and
// lets only admins reach /admin/*.
const { definePlugin, owncast } = require("@owncast/plugin-sdk");

const KEY = "custom-button";

function saved() {
  const b = owncast.kv.getJSON(KEY, null);
  return b && typeof b.title === "string" && typeof b.url === "string" && b.title && b.url ? b : null;
}

/** The runtime list = the saved button, if any (the manifest's always stay). */
function publish() {
  owncast.actions.clear();
  const b = saved();
  if (b) {
    owncast.actions.add({ title: b.title, url: b.url, description: "Added from the action-buttons admin page", openExternally: true });
  }
}

const json = (status, body) => ({ status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

module.exports = definePlugin({
  onHttpRequest(req) {
    if (req.path !== "/admin/api/custom-button") return { status: 404 };
    if (req.method === "GET") {
      publish();
      return json(200, saved() || { title: "", url: "" });
    }
    if (req.method !== "POST") return { status: 405 };
    let body;
    try {
      body = JSON.parse(req.body || "");
    } catch (e) {
      return { status: 400, body: "invalid JSON" };
    }
    const title = typeof (body && body.title) === "string" ? body.title.trim() : "";
    const url = typeof (body && body.url) === "string" ? body.url.trim() : "";
    if (!title && !url) {
      owncast.kv.set(KEY, "");
      owncast.actions.clear();
      return json(200, { title: "", url: "" });
    }
    if (!title || !url) return { status: 400, body: "both title and url are required" };
    owncast.kv.setJSON(KEY, { title, url });
    publish();
    return json(200, { title, url });
  },
});
