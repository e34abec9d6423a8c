// IP bot: answers "!ip" with the server's public IP address, looked up with
// an outbound HTTP request.
//
// Shows owncast.http.fetch (permission "network.fetch"). Outbound requests
// are limited to the hosts in the manifest's `network.allowedHosts` (globs;
// "*" allows any host but must be written out). fetch is synchronous inside a
// plugin: it returns {status, ok, headers, body, text(), json()}.
// In tests, `given.httpResponses` answers the request and
// `expect.httpRequests` checks what was sent; nothing leaves the machine.

const { definePlugin, owncast } = require("@owncast/plugin-sdk");

const LOOKUP_URL = "https://api.ipify.org/?format=json";

module.exports = definePlugin({
  onChatMessage(msg) {
    if (msg.user.isBot || msg.body.trim() !== "!ip") return;
    let res;
    try {
      res = owncast.http.fetch(LOOKUP_URL, { headers: { accept: "application/json" } });
    } catch (e) {
      owncast.log.warn(`IP lookup failed: ${e.message}`);
      owncast.chat.send("Sorry, I could not look up the IP address right now.");
      return;
    }
    if (!res.ok) {
      owncast.chat.send(`Sorry, the IP lookup answered HTTP ${res.status}.`);
      return;
    }
    let ip = null;
    try {
      ip = res.json().ip;
    } catch (e) {
      // not JSON: handled below
    }
    if (typeof ip !== "string" || ip === "") {
      owncast.chat.send("Sorry, the IP lookup gave an answer I do not understand.");
      return;
    }
    owncast.chat.send(`${msg.user.displayName}: this server's public IP is ${ip}`);
  },
});
