// page-content-demo: a block of HTML at the top of the viewer page's extra content.
// The plugin has no handlers: the manifest declares the contribution and the
// host does the rest (it validates the manifest's `extraPageContent` and serves it
// through Owncast's page), so definePlugin({}) is all the code there is.
const { definePlugin } = require("@owncast/plugin-sdk");

module.exports = definePlugin({});
