// mod-bot: chat.moderate and notifications.send together.
//
//   a message with a spam phrase     deleted (chat.deleteMessage)
//   the third spam from a connection that connection is kicked (chat.kick)
//                                    and the kick reported to Discord
//   the stream starts                Discord and a fediverse post
//   a new fediverse follower         a browser push
//   a mention or a reply             Discord, with up to 200 characters
// Strikes live in the plugin's memory: they reset when it reloads.
const { definePlugin, owncast } = require("@owncast/plugin-sdk");

const SPAM_PHRASES = ["buy crypto", "free money", "click here"];
const KICK_AT = 3;
const strikes = new Map(); // clientId -> spam messages seen

const snippet = (t) => (String(t || "").length > 200 ? `${String(t).slice(0, 200)}…` : String(t || ""));

function onSpam(msg) {
  owncast.chat.deleteMessage(msg.id);
  if (msg.clientId === undefined || msg.clientId === null) return;
  const n = (strikes.get(msg.clientId) || 0) + 1;
  strikes.set(msg.clientId, n);
  if (n === KICK_AT) {
    owncast.chat.kick(msg.clientId);
    const name = msg.user && msg.user.displayName ? msg.user.displayName : "someone";
    owncast.notifications.discord(`kicked ${name} after ${KICK_AT} spam messages`);
  }
}

function forward(kind, post) {
  owncast.notifications.discord(`${kind} from ${post.actor && post.actor.handle}: ${snippet(post.contentText)}\n${post.url}`);
}

module.exports = definePlugin({
  onChatMessage(msg) {
    const text = String(msg.body || "").toLowerCase();
    if (SPAM_PHRASES.some((p) => text.includes(p))) onSpam(msg);
  },
  onStreamStarted(info) {
    const title = info.title || "live now";
    owncast.notifications.discord(`Stream live: ${title}`);
    owncast.fediverse.post(`🔴 Going live: ${title}`);
  },
  onFediverseFollow(e) {
    owncast.notifications.browserPush({ title: "New follower", body: `${e.actor.handle} just followed`, url: e.actor.url });
  },
  onFediverseMention: (post) => forward("mention", post),
  onFediverseReply: (post) => forward("reply", post),
});
