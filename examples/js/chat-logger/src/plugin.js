// chat-logger: logging, and a plugin with no permissions at all. Each chat
// message goes to the host's log, tagged with the plugin's slug, as
// "<name>: <text>": at warning level when the text starts with "warning:",
// at error level when it starts with "error:", else at info level.
const { definePlugin, owncast } = require("@owncast/plugin-sdk");

module.exports = definePlugin({
  onChatMessage(msg) {
    const name = (typeof msg.user === "string" ? msg.user : msg.user && msg.user.displayName) || "?";
    const line = `${name}: ${msg.body}`;
    const text = String(msg.body || "").toLowerCase();
    if (text.startsWith("error:")) owncast.log.error(line);
    else if (text.startsWith("warning:")) owncast.log.warning(line);
    else owncast.log.info(line);
  },
});
