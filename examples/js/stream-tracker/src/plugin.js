// stream-tracker: every lifecycle event and the read APIs.
//
// It keeps a little state in the key-value store (when the stream started,
// who is in chat) and answers commands from the declarative `commands`
// table (register() declares them and the host routes them as
// chat.command; there is no onChatMessage):
//
//   !uptime   seconds live (counted to the message's timestamp), viewers, title
//   !who      the display names in chat
//   !server   the server's name, version and summary
//
// Going live and ending are announced as action messages; a new title is
// announced as a normal message.
const { definePlugin, owncast } = require("@owncast/plugin-sdk");

const people = () => owncast.kv.getJSON("users", []);
const setPeople = (list) => owncast.kv.setJSON("users", list);

function uptime(ctx) {
  const stream = owncast.stream.current();
  if (!stream.online) return ctx.reply("stream is offline");
  const askedAt = Date.parse(ctx.msg.timestamp);
  const now = Number.isFinite(askedAt) ? askedAt : Date.now();
  const since = stream.startedAt ? Date.parse(stream.startedAt) : now;
  const seconds = Math.max(0, Math.floor((now - since) / 1000));
  ctx.reply(`uptime: ${seconds}s, ${stream.viewers} viewer(s), "${stream.title}"`);
}

module.exports = definePlugin({
  onStreamStarted(info) {
    owncast.kv.set("startedAt", info.startedAt || "");
    owncast.chat.sendAction(`announces the stream is live${info.title ? `: ${info.title}` : ""}`);
  },

  onStreamStopped(info) {
    owncast.kv.set("startedAt", "");
    owncast.chat.sendAction(`stream ended at ${info.stoppedAt || "now"}`);
  },

  onStreamTitleChanged(change) {
    owncast.chat.send(`title changed: "${change.from}" → "${change.to}"`);
  },

  onChatUserJoined(user) {
    const list = people();
    if (!list.includes(user.displayName)) setPeople(list.concat(user.displayName));
  },

  onChatUserParted(user) {
    setPeople(people().filter((name) => name !== user.displayName));
  },

  onChatUserRenamed(change) {
    setPeople(people().map((name) => (name === change.previousName ? change.user.displayName : name)));
  },

  commands: {
    uptime: { description: "How long the stream has been live, with viewers and title", run: uptime },
    who: {
      description: "Who is in chat",
      run: (ctx) => {
        const list = people();
        ctx.reply(list.length ? `in chat: ${list.join(", ")}` : "no one's here yet");
      },
    },
    server: {
      description: "The server's name, version and summary",
      run: (ctx) => {
        const info = owncast.server.info();
        ctx.reply(`${info.name} v${info.version}, ${info.summary}`);
      },
    },
  },
});
