// Slow mode: a chat-message filter that drops a message when the same user
// had a message accepted less than two seconds before.
//
// Shows a filter that drops (filter.drop(reason)) and keeps state in the
// key-value store (permission "storage.kv" next to "chat.filter"): key
// `last:<userId>` holds the time of the user's last accepted message as epoch
// milliseconds, in decimal. Dropped messages do not restart the wait.
//
// Time comes from the message's RFC 3339 `timestamp`, the plugin's clock:
// Date.now() inside a plugin may be frozen, and the timestamp also makes the
// behaviour reproducible in tests.

const { definePlugin, owncast, filter } = require("@owncast/plugin-sdk");

/** Minimum time between two messages of one user. */
const INTERVAL_MS = 2000;

const RFC3339 = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/;

/** Epoch milliseconds of an RFC 3339 timestamp, or null. */
function parseTimestamp(ts) {
  if (typeof ts !== "string" || !RFC3339.test(ts)) return null;
  const ms = Date.parse(ts.replace(" ", "T"));
  return Number.isFinite(ms) ? ms : null;
}

/**
 * What to do with a message at `now` when the user's last accepted message
 * was at `last` (epoch ms, or null): {pass: true, record} or {pass: false, waitMs}.
 */
function decide(last, now) {
  if (last === null) return { pass: true, record: true };
  const elapsed = now - last;
  if (elapsed < 0) return { pass: true, record: false }; // an older message arriving late
  if (elapsed < INTERVAL_MS) return { pass: false, waitMs: INTERVAL_MS - elapsed };
  return { pass: true, record: true };
}

module.exports = definePlugin({
  filterChatMessage(msg) {
    const now = parseTimestamp(msg.timestamp);
    if (now === null) {
      owncast.log.warn(`message ${msg.id} has no usable timestamp ${JSON.stringify(msg.timestamp)}; letting it through`);
      return filter.pass();
    }
    const key = `last:${msg.user.id}`;
    const stored = owncast.kv.get(key);
    const last = stored !== null && /^-?\d+$/.test(stored.trim()) ? Number(stored.trim()) : null;
    const d = decide(last, now);
    if (!d.pass) {
      const seconds = (d.waitMs / 1000).toFixed(3);
      return filter.drop(`slow-mode: ${msg.user.displayName} must wait ${seconds} s before posting again`);
    }
    if (d.record) owncast.kv.set(key, String(now));
    return filter.pass();
  },
});
