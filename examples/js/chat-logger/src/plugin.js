// Chat logger: writes chat activity to the plugin's log.
//
// Shows several notification handlers in one plugin and logging. Every
// handler name subscribes to one event; `console.log` and `owncast.log.*` go
// to the host's log, tagged with the plugin's slug (view them with
// `owncast-plugin test --log info` or in Owncast's logs). No permissions are
// needed: logging is always allowed, and this plugin makes no other calls.

const { definePlugin, owncast } = require("@owncast/plugin-sdk");

/** "12:34:56" from an RFC 3339 timestamp, or "--:--:--". */
function clock(timestamp) {
  const m = /T(\d\d:\d\d:\d\d)/.exec(timestamp || "");
  return m ? m[1] : "--:--:--";
}

module.exports = definePlugin({
  onChatMessage(msg) {
    console.log(`[${clock(msg.timestamp)}] <${msg.user.displayName}> ${msg.body}`);
  },
  onChatUserJoined(e) {
    console.log(`[${clock(e.timestamp)}] * ${e.user.displayName} joined`);
  },
  onChatUserParted(e) {
    console.log(`[${clock(e.timestamp)}] * ${e.user.displayName} left`);
  },
  onChatUserRenamed(e) {
    console.log(`[${clock(e.timestamp)}] * ${e.previousName} is now ${e.newName}`);
  },
  onMessageModerated(e) {
    owncast.log.warn(`[${clock(e.timestamp)}] message ${e.messageId} was moderated (${e.action})`);
  },
});
