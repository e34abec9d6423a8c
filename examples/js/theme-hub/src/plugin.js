// theme-hub: a catalog of viewer themes (assets/themes.json, shipped with the
// plugin) from which the admin picks one; the pick restyles the whole viewer
// page through the dynamic onPageStyles hook, with no manifest stylesheet.
//
//   GET  /admin/api/state   {themes: [{id, name, description}], selected}
//   POST /admin/api/state   {selected: "<id>" | ""}: "" goes back to
//                           Owncast's own look; an unknown id is refused
//
// /admin/* is an admin page in the manifest: the host lets only admins in.
// The catalog has the shape a remote theme registry could serve; reading it
// with owncast.http.fetch instead (network.fetch) would change one function.
const { definePlugin, owncast } = require("@owncast/plugin-sdk");

let catalog = null;
/** The themes, read once per instance from the plugin's own assets. */
function themes() {
  if (catalog === null) {
    const text = owncast.assets.readText("themes.json");
    const parsed = text ? JSON.parse(text) : { themes: [] };
    catalog = Array.isArray(parsed.themes) ? parsed.themes : [];
  }
  return catalog;
}

const byId = (id) => themes().find((t) => t.id === id) || null;
const selected = () => byId(owncast.kv.get("selected") || "");

function state() {
  const t = selected();
  return { themes: themes().map(({ id, name, description }) => ({ id, name, description })), selected: t ? t.id : "" };
}

const json = (status, value) => ({ status, headers: { "content-type": "application/json" }, body: JSON.stringify(value) });

module.exports = definePlugin({
  // Appended to the page's customStyles on every /api/config; "" adds nothing.
  onPageStyles() {
    const t = selected();
    return t ? `/* theme-hub: ${t.id} */\n${t.css}` : "";
  },

  // Marks the page with the theme's id (plugin scripts share the page's global
  // scope, hence the function wrapper).
  onPageScripts() {
    const t = selected();
    return t ? `(function () { document.documentElement.dataset.themeHub = ${JSON.stringify(t.id)}; })();` : "";
  },

  onHttpRequest(req) {
    if (req.path !== "/admin/api/state") return { status: 404, body: "not found" };
    if (req.method === "GET") return json(200, state());
    if (req.method !== "POST") return { status: 405, headers: { allow: "GET, POST" }, body: "method not allowed" };
    let body;
    try {
      body = JSON.parse(req.body || "");
    } catch (_) {
      return { status: 400, body: "invalid JSON" };
    }
    const id = body && typeof body.selected === "string" ? body.selected : "";
    if (id && !byId(id)) return { status: 400, body: "unknown theme" };
    owncast.kv.set("selected", id);
    return json(200, state());
  },
});
