// Hello world: says hello in chat when the stream goes live.
//
// The smallest useful plugin: one handler (onStreamStarted) and one host call
// (owncast.chat.send, permission "chat.send"). The SDK derives the
// subscription to `stream.started` from the handler's name.

const { definePlugin, owncast } = require("@owncast/plugin-sdk");

module.exports = definePlugin({
  onStreamStarted(stream) {
    const title = (stream.title || "").trim();
    owncast.chat.send(title ? `👋 Hello, world! We're live: ${title}` : "👋 Hello, world! We're live.");
  },
});
