// now-playing: page content the plugin renders when the viewer page loads.
//
//   !np <song>        moderators set the song (a host-routed chat command)
//   Now Playing tab   a tab without `content` in the manifest: onTabContent
//                     renders it from the key-value store
//   greeting block    extraPageContent without `content`: onPageContent
//                     greets the viewer by name (req.user, when known)
//   onPageStyles      CSS after the plugin's (no) styles files
//   onPageScripts     JavaScript after its (no) scripts files
// Everything the viewer or a moderator typed is escaped: the host sanitizes
// the HTML too, but a plugin must not rely on it.
const { definePlugin, owncast, escapeHtml } = require("@owncast/plugin-sdk");

const song = () => owncast.kv.get("song") || "nothing yet";

module.exports = definePlugin({
  commands: {
    np: {
      description: "Set what is playing (moderators)",
      usage: "!np <song>",
      modOnly: true,
      run: (ctx) => {
        if (!ctx.argString) return owncast.chat.send("Usage: !np <song>");
        owncast.kv.set("song", ctx.argString);
        owncast.chat.send(`Now playing: ${ctx.argString}`);
      },
    },
  },

  onTabContent: (req) => `<p class="now-playing">Now playing: ${escapeHtml(song())}</p>`,

  onPageContent: (req) => `<p>Hello, ${escapeHtml(req.user ? req.user.displayName : "guest")}!</p>`,

  onPageStyles: () => ".now-playing { font-weight: bold; }",

  onPageScripts: () => "window.nowPlaying = true;",
});
