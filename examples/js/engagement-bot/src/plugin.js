// Engagement bot: takes what happens around the stream to the streamer's
// other channels.
//
//   stream.started         -> Discord ("Stream live: <title>") and a public
//                             fediverse post ("🔴 Going live: <title>")
//   fediverse.follow       -> a browser push to subscribed viewers
//   like / repost          -> Discord, with the post that was liked or boosted
//   quote / mention / reply-> Discord, with up to 200 characters of the text
//   fediverse.activity     -> Discord, the raw ActivityPub type, actor, object
//   a chat message with a known spam phrase is deleted (chat.moderate)
//
// Permissions: notifications.send (Discord, browser push), fediverse.post,
// chat.moderate.
const { definePlugin, owncast } = require("@owncast/plugin-sdk");

const SPAM_PHRASES = ["buy crypto", "free money", "click here"];
const SNIPPET_CHARS = 200;

function who(actor) {
  return (actor && (actor.handle || actor.name)) || "someone";
}

function snippet(text) {
  const s = String(text || "");
  return s.length > SNIPPET_CHARS ? `${s.slice(0, SNIPPET_CHARS)}…` : s;
}

/** Engagement with one of the streamer's posts (like, repost). */
function engagement(kind, event) {
  const target = event.target && event.target.url ? event.target.url : "(unknown post)";
  owncast.notifications.discord(`${kind} from ${who(event.actor)}: ${target}`);
}

/** A post with text (quote, mention, reply): the text, then its link. */
function post(kind, p) {
  owncast.notifications.discord(`${kind} from ${who(p.actor)}: ${snippet(p.contentText)}\n${p.url || ""}`);
}

module.exports = definePlugin({
  onChatMessage(msg) {
    const text = String(msg.body || "").toLowerCase();
    if (SPAM_PHRASES.some((phrase) => text.includes(phrase))) owncast.chat.deleteMessage(msg.id);
  },

  onStreamStarted(info) {
    const title = (info && info.title) || "live now";
    owncast.notifications.discord(`Stream live: ${title}`);
    owncast.fediverse.post(`🔴 Going live: ${title}`);
  },

  onFediverseFollow(event) {
    owncast.notifications.browserPush({
      title: "New follower",
      body: `${who(event.actor)} just followed`,
      url: event.actor && event.actor.url,
    });
  },

  onFediverseLike: (event) => engagement("like", event),
  onFediverseRepost: (event) => engagement("repost", event),
  onFediverseQuote: (p) => post("quote", p),
  onFediverseMention: (p) => post("mention", p),
  onFediverseReply: (p) => post("reply", p),

  onFediverse(activity) {
    owncast.notifications.discord(`activity ${activity.type}: ${activity.actor} -> ${activity.object}`);
  },
});
