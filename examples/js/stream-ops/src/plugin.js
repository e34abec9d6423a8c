// stream-ops: the stream's technical side from chat.
//
//   !broadcaster     what the streaming software sends (server.read: read-only
//                    telemetry)
//   !videoconfig     Owncast's output settings (videoconfig.read)
//   !latency <n>     sets the latency level (videoconfig.write, a separate and
//                    stronger permission); only latencyLevel is sent, the
//                    codec and variants stay as they are. A refused update
//                    throws; the plugin reports why.
const { definePlugin, owncast } = require("@owncast/plugin-sdk");

function broadcaster() {
  const b = owncast.stream.broadcaster();
  const codecs = (b.codecs || []).join("/");
  return `broadcaster: ${b.resolution || "?"} via ${codecs || "?"}`;
}

function videoConfig() {
  const c = owncast.videoConfig.read();
  const n = (c.variants || []).length;
  return `latency ${c.latencyLevel}, codec ${c.codec}, ${n} variant(s)`;
}

function setLatency(level) {
  try {
    owncast.videoConfig.write({ latencyLevel: level });
    return `latency set to ${level}`;
  } catch (e) {
    return `latency not changed: ${e.message}`;
  }
}

module.exports = definePlugin({
  onChatMessage(msg) {
    const body = String(msg.body || "").trim();
    if (body === "!broadcaster") return owncast.chat.send(broadcaster());
    if (body === "!videoconfig") return owncast.chat.send(videoConfig());
    const m = /^!latency\s+(\d+)$/.exec(body);
    if (m) owncast.chat.send(setLatency(Number(m[1])));
  },
});
