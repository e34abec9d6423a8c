// donation-button: an admin sets a Ko-fi page on the plugin's admin page and
// viewers get a button in the stream's action area that opens it.
//
//   GET  /admin/api/settings   the saved settings (defaults when none), and
//                              the button published again from them
//   POST /admin/api/settings   {creator, buttonTitle?, description?, color?}:
//                              checks and saves them, then replaces the button;
//                              an empty creator removes the button
//
// /admin/* is declared in the manifest's admin pages, so the host answers 401
// to anyone but an admin before this code runs. The admin page itself is the
// static file public/admin/index.html.
const { definePlugin, owncast } = require("@owncast/plugin-sdk");

const KEY = "donation-settings";
const DEFAULTS = Object.freeze({
  creator: "",
  buttonTitle: "Support the stream",
  description: "Send a donation on Ko-fi",
  color: "#29abe0",
  url: "",
});

const text = (v) => (typeof v === "string" ? v.trim() : "");

/**
 * The Ko-fi page for what an admin typed: a name, "@name", "ko-fi.com/name" or
 * its URL. "" for nothing typed, null when it is not a Ko-fi page.
 */
function kofiUrl(input) {
  let name = text(input)
    .replace(/^@+/, "")
    .replace(/^(https?:\/\/)?(www\.)?ko-?fi\.com\//i, "")
    .split(/[?#]/)[0]
    .replace(/^\/+|\/+$/g, "");
  if (!name) return "";
  return /^[A-Za-z0-9_-]+$/.test(name) ? `https://ko-fi.com/${name}` : null;
}

function saved() {
  const raw = owncast.kv.get(KEY);
  if (!raw) return { ...DEFAULTS };
  try {
    const s = JSON.parse(raw);
    return {
      creator: text(s.creator),
      buttonTitle: text(s.buttonTitle) || DEFAULTS.buttonTitle,
      description: text(s.description) || DEFAULTS.description,
      color: text(s.color) || DEFAULTS.color,
      url: s.url || kofiUrl(s.creator) || "",
    };
  } catch (_) {
    return { ...DEFAULTS };
  }
}

/** The settings to save from a POST body, or {error}. */
function fromForm(body) {
  const creator = text(body.creator);
  if (!creator) return { settings: { ...DEFAULTS } };
  const url = kofiUrl(creator);
  if (!url) return { error: "Enter a valid Ko-fi username or URL." };
  const color = text(body.color) || DEFAULTS.color;
  if (!/^#[0-9a-fA-F]{6}$/.test(color)) return { error: "Color must be a 6-digit hex value like #29abe0." };
  return {
    settings: {
      creator,
      buttonTitle: text(body.buttonTitle) || DEFAULTS.buttonTitle,
      description: text(body.description) || DEFAULTS.description,
      color,
      url,
    },
  };
}

/** Replaces the plugin's runtime button with the one `s` describes (none without a URL). */
function publish(s) {
  owncast.actions.clear();
  if (!s.url) return;
  owncast.actions.add({
    title: s.buttonTitle,
    description: s.description,
    url: s.url,
    color: s.color,
    openExternally: true,
  });
}

const json = (status, value) => ({ status, headers: { "content-type": "application/json" }, body: JSON.stringify(value) });

module.exports = definePlugin({
  onHttpRequest(req) {
    if (req.path !== "/admin/api/settings") return { status: 404, body: "not found" };
    if (req.method === "GET") {
      const s = saved();
      publish(s);
      return json(200, s);
    }
    if (req.method !== "POST") return { status: 405, headers: { allow: "GET, POST" }, body: "method not allowed" };
    let body;
    try {
      body = JSON.parse(req.body || "");
    } catch (_) {
      return { status: 400, body: "invalid JSON" };
    }
    const r = fromForm(body && typeof body === "object" ? body : {});
    if (r.error) return { status: 400, body: r.error };
    owncast.kv.set(KEY, r.settings.url ? JSON.stringify(r.settings) : "");
    publish(r.settings);
    return json(200, r.settings);
  },
});
