// mod-commands: the `commands` table of definePlugin with its options.
//
//   commandPrefix "?"      commands start with "?" instead of "!"
//   ?ping, alias ?p        "pong", for anyone
//   ?announce <text>       moderators only (the MODERATOR scope on the
//                          sender); others get onDenied's answer
//   onUnknownCommand       a "?word" that is no command
//   onChatMessage          still runs for every message, before the host
//                          runs the command: here it notes each "?" message
//                          as a system line
// register() declares the commands; the host routes them (chat.command).
// Names match without regard to case ("?PING" works).
const { definePlugin, owncast, escapeHtml } = require("@owncast/plugin-sdk");

module.exports = definePlugin({
  commandPrefix: "?",

  commands: {
    ping: {
      description: "Is the bot there?",
      aliases: ["p"],
      run: (ctx) => ctx.reply("pong"),
    },
    announce: {
      description: "Post an announcement (moderators only)",
      usage: "?announce <message>",
      modOnly: true,
      run: (ctx) => ctx.reply(ctx.argString ? `Announcement: ${ctx.argString}` : "Usage: ?announce <message>"),
      onDenied: (ctx) => ctx.reply("Only moderators can use ?announce."),
    },
  },

  onUnknownCommand: (ctx) => ctx.reply(`Unknown command "?${ctx.command}". Try ?ping.`),

  onChatMessage(msg) {
    // a system message is HTML: the viewer's text is escaped
    if (String(msg.body || "").startsWith("?")) owncast.chat.system(`(command: ${escapeHtml(msg.body)})`);
  },
});
