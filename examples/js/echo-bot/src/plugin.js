// Echo bot: answers every chat message with "<name> said: <body>".
//
// Shows a notification handler (onChatMessage) and owncast.chat.send
// (permission "chat.send"), which speaks as the manifest's bot.displayName.
// The bot's own messages come back as chat messages too, marked isBot;
// echoing them would loop forever, so messages from bots are ignored.

const { definePlugin, owncast } = require("@owncast/plugin-sdk");

/** The sender as {displayName, isBot}: `msg.user` is an object today, a name on older hosts. */
function sender(msg) {
  return typeof msg.user === "string" ? { displayName: msg.user } : msg.user || { displayName: "someone" };
}

function fromBot(user) {
  const manifest = owncast.manifest();
  const botName = manifest && manifest.bot && manifest.bot.displayName;
  return user.isBot === true || (botName !== undefined && user.displayName === botName);
}

module.exports = definePlugin({
  onChatMessage(msg) {
    const user = sender(msg);
    if (fromBot(user) || msg.body.trim() === "") return;
    owncast.chat.send(`${user.displayName} said: ${msg.body}`);
  },
});
