// all-permissions-test: a load canary, not a real plugin. Its manifest asks
// for every permission this host knows and it defines a handler for every
// event, export and hook, each doing nothing, so the build's handler and
// permission checks, the host's load-time rules and the registration
// handshake all see the widest plugin there is. When the host gains a
// permission or a load rule, this is the example that has to change.
const { definePlugin, filter, authCheck } = require("@owncast/plugin-sdk");

const nothing = () => {};

module.exports = definePlugin({
  commands: {
    noop: { description: "Does nothing (canary)", run: nothing },
  },
  filterChatMessage: () => filter.pass(),
  onChatMessage: nothing,
  onChatUserJoined: nothing,
  onChatUserParted: nothing,
  onChatUserRenamed: nothing,
  onMessageModerated: nothing,
  onStreamStarted: nothing,
  onStreamStopped: nothing,
  onStreamTitleChanged: nothing,
  onSseConnect: nothing,
  onSseDisconnect: nothing,
  onTick: nothing,
  onFediverse: nothing,
  onFediverseFollow: nothing,
  onFediverseLike: nothing,
  onFediverseRepost: nothing,
  onFediverseQuote: nothing,
  onFediverseMention: nothing,
  onFediverseReply: nothing,
  onHttpRequest: () => ({ status: 204 }),
  onAuthCheck: () => authCheck.ok(),
  onTabContent: () => "",
  onPageContent: () => "",
  onPageStyles: () => "",
  onPageScripts: () => "",
  on: { "all-permissions-test.noop": nothing },
});
