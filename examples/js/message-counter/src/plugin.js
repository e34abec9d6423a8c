// message-counter: state in the key-value store (storage.kv). Every chat
// message adds one to its sender's count, under `count:<user id>` (the id is
// stable; the display name can change), and the bot says the new total.
// KV values are strings, private to the plugin, and survive restarts.
// `msg.user` is a ChatUser object ({id, displayName, ...}) from today's
// Owncast; older hosts send the display name as a string. Both are read here.
const { definePlugin, owncast } = require("@owncast/plugin-sdk");

module.exports = definePlugin({
  onChatMessage(msg) {
    const user = typeof msg.user === "string" ? { id: msg.user, displayName: msg.user } : msg.user || {};
    const key = `count:${user.id || "anonymous"}`;
    const count = (parseInt(owncast.kv.get(key) || "0", 10) || 0) + 1;
    owncast.kv.set(key, String(count));
    owncast.chat.send(`${user.displayName || "someone"} has sent ${count} message(s) total`);
  },
});
