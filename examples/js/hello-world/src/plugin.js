// hello-world: a plugin with no handlers at all. It loads, answers the host's
// register() call with its manifest (and no subscriptions), and then is never
// called again. Start here and add one handler at a time.
const { definePlugin } = require("@owncast/plugin-sdk");

module.exports = definePlugin({});
