// command-router: the command router on its own. definePlugin({commands})
// is the short form; defineCommands(config) returns the router as a function
// `(msg) -> boolean` you call where you like. Here a filter calls it and
// drops every message that was a command (run, refused or cooling down), so
// commands never show in public chat; everything else passes untouched.
//
//   !shout <text>  the text in capitals; once per 30 s per person
//   !secret        whispered to the sender only (in public when their chat
//                  connection is unknown)
// Names are case-sensitive here: "!Shout" is not a command.
const { definePlugin, defineCommands, filter } = require("@owncast/plugin-sdk");

const SHOUT_COOLDOWN_MS = 30 * 1000;

const route = defineCommands({
  caseSensitive: true,
  commands: {
    shout: {
      description: "Say it in capitals (once every 30 seconds)",
      usage: "!shout <message>",
      cooldownMs: SHOUT_COOLDOWN_MS,
      run: (ctx) => ctx.reply(`📢 ${ctx.argString.toUpperCase()}`),
      onCooldown: (ctx) => ctx.reply("Easy there, you can only shout every 30 seconds."),
    },
    secret: {
      description: "A secret for the sender only",
      run: (ctx) => ctx.replyPrivately("The cake is a lie."),
    },
  },
});

module.exports = definePlugin({
  filterChatMessage(msg) {
    return route(msg) ? filter.drop("handled as a command") : filter.pass();
  },
});
