// Overlay: a browser-source overlay for streaming software that shows the
// latest chat messages.
//
// Shows a plugin serving HTTP under /plugins/overlay/ (permission
// "http.serve"): files in public/ are served as they are (index.html,
// overlay.css, overlay.js), and every other path goes to onHttpRequest, here
// a JSON endpoint, /api/messages, that the page polls (req.path keeps its
// leading slash, as upstream's host sends it). The messages are kept
// in the plugin's memory: one instance serves all calls, so state in
// variables lasts until the plugin is reloaded.

const { definePlugin } = require("@owncast/plugin-sdk");

/** How many messages the overlay shows. */
const KEEP = 5;

let recent = [];
let seen = 0;

module.exports = definePlugin({
  onChatMessage(msg) {
    if (msg.user.isBot) return;
    seen += 1;
    recent.push({ id: msg.id, user: msg.user.displayName, body: msg.body, timestamp: msg.timestamp });
    if (recent.length > KEEP) recent = recent.slice(recent.length - KEEP);
  },

  onHttpRequest(req) {
    if (req.path === "/api/messages") {
      if (req.method !== "GET") {
        return { status: 405, headers: { allow: "GET" }, body: { error: "use GET" } };
      }
      return {
        status: 200,
        headers: { "cache-control": "no-store" },
        body: { messages: recent, total: seen },
      };
    }
    return { status: 404, body: { error: `no such page: ${req.path}` } };
  },
});
