// safeguard-stress: misbehaves when asked, so you can watch the host contain
// it. Never install it on a real server.
//
// The mode comes from a `cmd` field in the chat payload (filter and
// notification), from a chat message "!stress <cmd>", or from the HTTP path
// (/plugins/safeguard-stress/<cmd>):
//
//   spin        an endless loop              -> the call's deadline
//   alloc       allocates until memory runs out -> the instance's memory cap
//   recurse     unbounded recursion          -> stack exhaustion
//   huge        a result larger than allowed -> the output size caps
//   emit-storm  emits events without end     -> deadline / emit limits
//   slow-host   host calls in a loop         -> the deadline covers host calls
//   anything else: behaves (filter passes, HTTP answers "ok")
const { definePlugin, owncast, filter } = require("@owncast/plugin-sdk");

// Larger than the host's output caps (4 MiB per call result, 10 MiB per HTTP
// response). Built on first use, not at load time: a pre-initialized module
// would carry them in its memory snapshot.
const ONE_MIB = 1024 * 1024;
const huge = {};
function hugeText(mib) {
  if (!huge[mib]) huge[mib] = "x".repeat(mib * ONE_MIB);
  return huge[mib];
}

function spin() {
  for (;;) {
    // nothing
  }
}

function alloc() {
  const hold = [];
  for (;;) hold.push(new Uint8Array(8 * ONE_MIB).fill(1));
}

function recurse(n) {
  return recurse(n + 1) + 1;
}

function emitStorm() {
  for (let i = 0; ; i++) owncast.events.emit("safeguard.storm", { i });
}

function slowHost() {
  for (let i = 0; ; i++) owncast.kv.set(`slow:${i % 16}`, String(i));
}

/** The mode a chat message asks for: its `cmd` field, or "!stress <mode>". */
function modeOf(msg) {
  if (!msg) return "";
  if (msg.cmd) return String(msg.cmd);
  const m = /^!stress\s+(\S+)/.exec(String(msg.body || ""));
  return m ? m[1] : "";
}

/** Runs a misbehaving mode; returns false for an unknown (harmless) one. */
function misbehave(cmd) {
  switch (cmd) {
    case "spin":
      return spin();
    case "alloc":
      return alloc();
    case "recurse":
      return recurse(0);
    case "emit-storm":
      return emitStorm();
    case "slow-host":
      return slowHost();
    default:
      return false;
  }
}

module.exports = definePlugin({
  filterChatMessage(msg) {
    const cmd = modeOf(msg);
    if (cmd === "huge") return filter.modify(Object.assign({}, msg, { body: hugeText(5) }));
    misbehave(cmd);
    return filter.pass();
  },

  onChatMessage(msg) {
    misbehave(modeOf(msg));
  },

  onHttpRequest(req) {
    const cmd = String(req.path || "/").replace(/^\/+/, "");
    if (cmd === "huge") return { status: 200, body: hugeText(13) };
    misbehave(cmd);
    return { status: 200, body: "ok" };
  },
});
