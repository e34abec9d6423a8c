// Relay: turns "/announce <text>" chat messages into the custom event
// `announcement.broadcast` with the payload {text, by: <displayName>, at:
// <the message's timestamp>} (upstream's command and payload).
//
// Shows plugins talking to each other through custom events (permission
// "events.emit"): every plugin with a handler for the type in `on: {...}` (such
// as the announcer example) receives the payload. The relay itself needs no
// chat permission. Event names are plain strings: define a constant.

const { definePlugin, owncast } = require("@owncast/plugin-sdk");

const COMMAND = "/announce ";
const ANNOUNCEMENT = "announcement.broadcast";

module.exports = definePlugin({
  onChatMessage(msg) {
    if (!msg.body.startsWith(COMMAND)) return;
    const text = msg.body.slice(COMMAND.length).trim();
    if (text === "") return;
    owncast.events.emit(ANNOUNCEMENT, { text, by: (typeof msg.user === "string" ? msg.user : msg.user && msg.user.displayName) || null, at: msg.timestamp });
  },
});
