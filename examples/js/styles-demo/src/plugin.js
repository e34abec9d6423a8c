// styles-demo: a stylesheet for the viewer page.
// The plugin has no handlers: the manifest declares the contribution and the
// host does the rest (it validates the manifest's `styles` and serves it
// through Owncast's page), so definePlugin({}) is all the code there is.
const { definePlugin } = require("@owncast/plugin-sdk");

module.exports = definePlugin({});
