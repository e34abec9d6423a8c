// fediverse-chat-bridge: a mention of the streamer, or a reply to one of
// their posts, shows up in chat as a system message: the poster's avatar,
// their name linked to their profile, their handle, then the post's text
// linked to the post.
//
// Every value comes from another server and a system message is HTML, so each
// one is escaped (the SDK's escapeHtml) and only http(s) URLs are used for
// links and images (no javascript:, data: or ftp:). The host sanitizes system
// messages as well; the plugin does not rely on it.
const { definePlugin, owncast, escapeHtml } = require("@owncast/plugin-sdk");

/** `u` when it is an http(s) URL, else "". */
function webUrl(u) {
  const s = u == null ? "" : String(u).trim();
  return /^https?:\/\//i.test(s) ? s : "";
}

/** `html` inside a link to `href`, or `html` alone when there is no usable URL. */
function linked(href, html) {
  return href ? `<a href="${escapeHtml(href)}" rel="noopener noreferrer">${html}</a>` : html;
}

function render(post) {
  const actor = post.actor || {};
  const avatar = webUrl(actor.image);
  let out = "";
  if (avatar) {
    out += `<img src="${escapeHtml(avatar)}" alt="" width="32" height="32" style="vertical-align:middle;border-radius:50%;margin-right:8px">`;
  }
  out += `<strong>${linked(webUrl(actor.url), escapeHtml(actor.name || actor.handle || "Someone"))}</strong>`;
  if (actor.handle) out += ` <span style="opacity:0.7">${escapeHtml(actor.handle)}</span>`;
  out += ` — ${linked(webUrl(post.url), escapeHtml(post.contentText || ""))}`;
  return out;
}

module.exports = definePlugin({
  onFediverseMention(post) {
    owncast.chat.system(render(post));
  },
  onFediverseReply(post) {
    owncast.chat.system(render(post));
  },
});
