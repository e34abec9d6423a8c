// ip-bot: outbound HTTP. "!ip" in chat makes one GET to api.ipify.org (the
// only host the manifest's network.allowedHosts allows) and answers with the
// address, or with the HTTP status when the lookup fails. One fixed command
// is easy to match by hand; for more, see defineCommands (command-router).
const { definePlugin, owncast } = require("@owncast/plugin-sdk");

const LOOKUP = "https://api.ipify.org?format=json";

module.exports = definePlugin({
  onChatMessage(msg) {
    if (String(msg.body || "").trim() !== "!ip") return;
    const res = owncast.http.fetch(LOOKUP);
    if (res.status !== 200) return owncast.chat.send(`couldn't fetch IP (status ${res.status})`);
    let ip;
    try {
      ip = JSON.parse(res.body).ip;
    } catch (e) {
      ip = undefined;
    }
    owncast.chat.send(ip ? `server IP: ${ip}` : "couldn't read the IP from the answer");
  },
});
