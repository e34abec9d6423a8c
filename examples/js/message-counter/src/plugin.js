// Message counter: counts chat messages per user in the key-value store and
// answers "!count" with the sender's tally.
//
// Shows plugin state in owncast.kv (permission "storage.kv"): values are
// strings, kept under the plugin's own namespace (no other plugin can read
// them) and survive restarts of the plugin and of Owncast. Keys:
//   count:<userId>  messages sent by that user
//   total           messages sent by everyone
// Replying needs "chat.send". Bot messages and commands are not counted.

const { definePlugin, owncast } = require("@owncast/plugin-sdk");

/** The number stored under `key` (0 when missing or not a number). */
function read(key) {
  const n = parseInt(owncast.kv.get(key) || "0", 10);
  return Number.isFinite(n) ? n : 0;
}

function increment(key) {
  const n = read(key) + 1;
  owncast.kv.set(key, String(n));
  return n;
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

module.exports = definePlugin({
  onChatMessage(msg) {
    if (msg.user.isBot) return;
    const body = msg.body.trim();
    if (body === "!count") {
      const mine = read(`count:${msg.user.id}`);
      const total = read("total");
      owncast.chat.send(`${msg.user.displayName} has sent ${plural(mine, "message")} (${total} in chat so far)`);
      return;
    }
    if (body === "") return;
    increment(`count:${msg.user.id}`);
    increment("total");
  },
});
