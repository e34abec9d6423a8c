// Buggy filter: a chat-message filter with a bug that throws on every call.
//
// Shows what the host does with a failing plugin. A filter that throws (or
// traps, or misses its deadline) counts as filter.pass(): the message goes on
// down the chain unchanged ("fail open"), so a broken plugin can never eat
// chat. Each failure is a strike; after a run of consecutive strikes the host
// disables the plugin and tells the admin why. The error and its stack,
// mapped back to this file (src/plugin.js:<line>), are in the plugin's log.

const { definePlugin, filter } = require("@owncast/plugin-sdk");

module.exports = definePlugin({
  filterChatMessage(msg) {
    const words = msg.body.split(/\s+/).filter(Boolean);
    // The bug: the last word is words[words.length - 1]. words[words.length]
    // is undefined, and calling a method on it throws a TypeError.
    const last = words[words.length].toLowerCase();
    return last === "spam" ? filter.drop("buggy-filter: message ends in spam") : filter.pass();
  },
});
