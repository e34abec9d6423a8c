// slow-mode: a filter that drops. A user's message is dropped when their last
// accepted message is less than 2 s older (by the messages' own timestamps:
// deterministic, and what tests can control). Dropped messages do not restart
// the wait. The times live in the plugin's memory, keyed by user id: a reload
// starts afresh, which suits a soft limit.
// `msg.user` is a ChatUser object ({id, displayName, ...}) from today's
// Owncast; older hosts send the display name as a string. Both are read here.
const { definePlugin, filter } = require("@owncast/plugin-sdk");

const MIN_GAP_MS = 2000;
const lastAccepted = new Map(); // user id -> epoch ms

module.exports = definePlugin({
  filterChatMessage(msg) {
    const user = typeof msg.user === "string" ? { id: msg.user, displayName: msg.user } : msg.user || {};
    const id = user.id || "anonymous";
    const at = Date.parse(msg.timestamp);
    if (!Number.isFinite(at)) return filter.pass();
    const last = lastAccepted.get(id);
    if (last !== undefined && at - last >= 0 && at - last < MIN_GAP_MS) {
      return filter.drop(`slow-mode: ${user.displayName || id} must wait ${MIN_GAP_MS}ms between messages`);
    }
    lastAccepted.set(id, at);
    return filter.pass();
  },
});
