// viewer-gate: a confirmation modal on the viewer page (a stylesheet and a script).
// The plugin has no handlers: the manifest declares the contribution and the
// host does the rest (it validates the manifest's `styles` and `scripts` and serves it
// through Owncast's page), so definePlugin({}) is all the code there is.
const { definePlugin } = require("@owncast/plugin-sdk");

module.exports = definePlugin({});
