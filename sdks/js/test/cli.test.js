"use strict";
// Tests of the author CLI around the build: bad input reported with file and
// line, the permission lint, finding and running the native owncast-plugin
// binary (test/serve/package), the generated contract types, the TypeScript
// declarations, the scaffolder and the native package builder.
//
// Tests that run plugins need the native binary (the repository's
// target/debug build or $OWNCAST_PLUGIN_BIN) and fail without it; only
// OWNCAST_SKIP_MISSING_GUESTS=1 turns that into a skip.

const test = require("node:test");
const assert = require("node:assert");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");

const { build, findEngine } = require("../lib/build");
const lint = require("../lib/lint");
const native = require("../lib/native");

const SDK = path.resolve(__dirname, "..");
const ROOT = path.resolve(SDK, "..", "..");
const CLI = path.join(SDK, "bin", "owncast-plugin.js");
const CREATE = path.join(SDK, "create-owncast-plugin", "index.js");
const REQUIRE = process.env.OWNCAST_SKIP_MISSING_GUESTS !== "1";

function nativeBin() {
  try {
    return native.findNative().path;
  } catch (e) {
    return null;
  }
}
const NATIVE = nativeBin();
const needNative = NATIVE || REQUIRE ? false : "native owncast-plugin not built (cargo build -p owncast-plugin-cli)";
let ENGINE = null;
try {
  ENGINE = findEngine();
} catch (e) {
  ENGINE = null;
}
const needEngine = ENGINE || REQUIRE ? false : "engine wasm not built (tools/build-js-engine.sh)";
const needBoth = needNative || needEngine;

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "owncast-cli-test-"));
process.on("exit", () => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let tmpCount = 0;

function plugin(files, manifestExtra = {}) {
  const dir = path.join(tmpRoot, `p${tmpCount++}`);
  const manifest = Object.assign({ api: "1", name: "T", slug: "t", version: "1.0.0", permissions: [] }, manifestExtra);
  files = Object.assign({ "plugin.manifest.json": JSON.stringify(manifest) }, files);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function cli(args, opts = {}) {
  return spawnSync(process.execPath, [CLI, ...args], Object.assign({ encoding: "utf8" }, opts));
}

const MSG = (body, extra = {}) =>
  Object.assign({ id: "m1", user: { id: "u-alice", displayName: "alice" }, body, timestamp: "2024-01-01T00:00:00Z" }, extra);

// --- bad input at build time -------------------------------------------------

test("bad input: a syntax error names the file, line and column", () => {
  const dir = plugin({
    "src/plugin.js":
      'import { definePlugin, owncast } from "@owncast/plugin-sdk";\n\nexport default definePlugin({\n  onChatMessage(m) {\n    owncast.chat.send(m.body\n  },\n});\n',
  });
  const r = cli(["build", dir, "--script"]);
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /src\/plugin\.js:6:3: Expected "\)" but found "}"/);
});

test("bad input: a syntax error in TypeScript names the file and line", () => {
  const dir = plugin({
    "src/plugin.ts": 'import { definePlugin } from "@owncast/plugin-sdk";\nconst x: number = ;\nexport default definePlugin({});\n',
  });
  const r = cli(["build", dir, "--script"]);
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /src\/plugin\.ts:2:19: Unexpected ";"/);
});

test("bad input: importing a name the SDK does not export fails at its line", () => {
  const dir = plugin({
    "src/plugin.js": 'import { definePlugn } from "@owncast/plugin-sdk";\nexport default definePlugn({});\n',
  });
  const r = cli(["build", dir, "--script"]);
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /src\/plugin\.js:1:10: No matching export in "@owncast\/plugin-sdk" for import "definePlugn"/);
});

test("bad input: a misspelt require of the SDK fails at the author's line", () => {
  const dir = plugin({
    "src/plugin.js": 'const { definePlugn } = require("@owncast/plugin-sdk");\nmodule.exports = definePlugn({});\n',
  });
  const r = cli(["build", dir, "--script"]);
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /TypeError: definePlugn is not a function\n\s+at src\/plugin\.js:2:18/);
});

test("bad input: a plugin that never calls definePlugin (handlers exported directly)", () => {
  const dir = plugin({
    "src/plugin.js": 'import { owncast } from "@owncast/plugin-sdk";\nexport function onChatMessage(m) { owncast.chat.send(m.body); }\n',
  }, { permissions: ["chat.send"] });
  const r = cli(["build", dir, "--script"]);
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /src\/plugin\.js: the plugin never calls definePlugin\(\)/);
  assert.match(r.stderr, /exports onChatMessage directly/);
});

test("bad input: no plugin source at all", () => {
  const dir = plugin({});
  const r = cli(["build", dir, "--script"]);
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /no plugin source: expected one of src\/plugin\.ts, src\/plugin\.js/);
});

test("bad input: a handler name typo is rejected with a suggestion", () => {
  const dir = plugin({
    "src/plugin.js":
      'const { definePlugin, owncast } = require("@owncast/plugin-sdk");\nmodule.exports = definePlugin({\n  onStreamStart() {},\n});\n',
  });
  const r = cli(["build", dir, "--script"]);
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /unknown handler "onStreamStart"\. Did you mean "onStreamStarted"\?/);
  assert.match(r.stderr, /src\/plugin\.js:2:/);
});

test("bad input: an owncast.* call the manifest does not grant fails the build at its line", () => {
  const dir = plugin(
    {
      "src/plugin.js": [
        'const { definePlugin, owncast } = require("@owncast/plugin-sdk");',
        "// owncast.users.list() in a comment is not a call",
        "module.exports = definePlugin({",
        "  onChatMessage(msg) {",
        '    const n = Number(owncast.kv.get("n") || 0);',
        "    owncast.chat.send(`#${n}`);",
        "  },",
        "});",
        "",
      ].join("\n"),
    },
    { permissions: ["chat.send"] }
  );
  const r = cli(["build", dir, "--script"]);
  assert.strictEqual(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /src\/plugin\.js:5:22: owncast\.kv\.get needs the "storage\.kv" permission/);
  assert.match(r.stderr, /does not grant "storage\.kv"/);
  assert.doesNotMatch(r.stderr, /users\.read/);

  const w = cli(["build", dir, "--script", "--allow-ungranted"]);
  assert.strictEqual(w.status, 0, w.stderr);
  assert.match(w.stderr, /warning: src\/plugin\.js:5:22: owncast\.kv\.get needs the "storage\.kv" permission/);
});

test("bad input: a granted permission nothing uses is a warning", () => {
  const dir = plugin(
    {
      "src/plugin.js":
        'const { definePlugin, owncast } = require("@owncast/plugin-sdk");\nmodule.exports = definePlugin({ onChatMessage(m) { owncast.chat.send(m.body); } });\n',
    },
    { permissions: ["chat.send", "storage.kv"] }
  );
  const r = cli(["build", dir, "--script"]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: plugin\.manifest\.json: "storage\.kv" is granted but no owncast\.\* call/);
});

test("command replies (ctx.reply, ctx.replyPrivately) need chat.send: missing fails at the line, granted is used", () => {
  const src = [
    'const { definePlugin } = require("@owncast/plugin-sdk");',
    "module.exports = definePlugin({",
    "  commands: {",
    '    ping: { run: (ctx) => ctx.reply("pong") },',
    "    whisper: { run(c) { c.replyPrivately(c.argString); } },",
    "  },",
    "});",
    "",
  ].join("\n");
  const bad = plugin({ "src/plugin.js": src }, { permissions: [] });
  const r = cli(["build", bad, "--script"]);
  assert.strictEqual(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /src\/plugin\.js:4:27: ctx\.reply \(a command reply\) needs the "chat\.send" permission/);
  assert.match(r.stderr, /src\/plugin\.js:5:25: c\.replyPrivately \(a command reply\) needs the "chat\.send" permission/);
  const good = plugin({ "src/plugin.js": src }, { permissions: ["chat.send"] });
  const w = cli(["build", good, "--script"]);
  assert.strictEqual(w.status, 0, w.stderr);
  assert.doesNotMatch(w.stderr, /is granted but/);
  // without a commands table a .reply() is someone else's method
  const other = plugin(
    { "src/plugin.js": 'const { definePlugin } = require("@owncast/plugin-sdk");\nconst x = { reply() {} };\nx.reply();\nmodule.exports = definePlugin({});\n' },
    { permissions: [] }
  );
  const o = cli(["build", other, "--script"]);
  assert.strictEqual(o.status, 0, o.stderr);
});

test("handler permissions: a content hook or onAuthCheck without its permission fails; with it, no unused warning", () => {
  const src =
    'const { definePlugin, authCheck } = require("@owncast/plugin-sdk");\n' +
    "module.exports = definePlugin({ onPageStyles: () => \"\", onAuthCheck: () => authCheck.ok() });\n";
  const bad = plugin({ "src/plugin.js": src }, { permissions: [] });
  const r = cli(["build", bad, "--script"]);
  assert.notStrictEqual(r.status, 0);
  assert.match(r.stderr, /onPageStyles needs the "ui\.modify" permission; onAuthCheck needs the "auth\.gate" permission/);
  const good = plugin({ "src/plugin.js": src }, { permissions: ["ui.modify", "auth.gate"] });
  const w = cli(["build", good, "--script"]);
  assert.strictEqual(w.status, 0, w.stderr);
  assert.doesNotMatch(w.stderr, /is granted but/);
});

test("handler permissions: onSseConnect without http.sse builds with a warning (upstream loads it)", () => {
  const src =
    'const { definePlugin } = require("@owncast/plugin-sdk");\n' +
    "module.exports = definePlugin({ onSseConnect() {}, onSseDisconnect() {} });\n";
  const r = cli(["build", plugin({ "src/plugin.js": src }, { permissions: [] }), "--script"]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: plugin\.manifest\.json: onSseConnect never runs without the "http\.sse" permission/);
  assert.match(r.stderr, /onSseDisconnect never runs without/);
  const w = cli(["build", plugin({ "src/plugin.js": src }, { permissions: ["http.sse"] }), "--script"]);
  assert.strictEqual(w.status, 0, w.stderr);
  assert.doesNotMatch(w.stderr, /never runs|is granted but/);
});

test("bad input: network.fetch without allowedHosts", () => {
  const dir = plugin(
    { "src/plugin.js": 'const { definePlugin } = require("@owncast/plugin-sdk");\nmodule.exports = definePlugin({});\n' },
    { permissions: ["network.fetch"] }
  );
  const r = cli(["build", dir, "--script"]);
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /"network\.fetch" needs "network": \{"allowedHosts"/);
});

// --- the permission lint -----------------------------------------------------

test("lint: the API table covers every owncast.* host call of the runtime", () => {
  const t = lint.apiPermissions();
  const { owncast } = require("..");
  const hostCalls = [];
  for (const area of Object.keys(owncast)) {
    // ambient: no permission (config, log, timers, bundled assets)
    if (["config", "log", "manifest", "timer", "assets"].includes(area)) continue;
    for (const fn of Object.keys(owncast[area])) hostCalls.push(`${area}.${fn}`);
  }
  assert.deepStrictEqual(hostCalls.filter((k) => !t[k]), []);
  assert.strictEqual(t["kv.get"], "storage.kv");
  assert.strictEqual(t["http.fetch"], "network.fetch");
  assert.strictEqual(t["chat.history"], "chat.history");
  assert.strictEqual(t["videoConfig.write"], "videoconfig.write");
  assert.strictEqual(t["sql.queryRow"], "storage.sql");
  assert.strictEqual(t["users.register"], "users.register");
  // deprecated aliases need what the names they stand for need
  assert.strictEqual(t["ui.addActions"], "ui.modify");
  assert.strictEqual(t["server.streamCurrent"], "server.read");
});

test("lint: comments, strings, templates and regexes are not code", () => {
  const src = [
    "// owncast.chat.send in a comment",
    'const s = "owncast.kv.get"; const r = /owncast.kv.set\\/x/g;',
    "const t = `a ${ owncast.events.emit('x') } b owncast.fs.read`;",
    "x = a / 2; owncast.chat.send('hi' /* owncast.users.list */);",
    "if (y) return /'/.test(z) && owncast .kv. get('k');",
  ].join("\n");
  const calls = lint.findCalls(src, "f.js").map((c) => `${c.api}@${c.line}:${c.column}`);
  assert.deepStrictEqual(calls, ["owncast.events.emit@3:17", "owncast.chat.send@4:12", "owncast.kv.get@5:30"]);
});

// --- finding the native binary --------------------------------------------------

function fakeBinary(file) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(60)]));
  fs.chmodSync(file, 0o755);
}

test("native: $OWNCAST_PLUGIN_BIN wins, and a missing one is an error", () => {
  const bin = path.join(tmpRoot, "explicit", "owncast-plugin");
  fakeBinary(bin);
  assert.strictEqual(native.findNative({ env: { OWNCAST_PLUGIN_BIN: bin, PATH: "" } }).path, bin);
  assert.throws(
    () => native.findNative({ env: { OWNCAST_PLUGIN_BIN: bin + "-nope", PATH: "" } }),
    /\$OWNCAST_PLUGIN_BIN is .*does not exist/
  );
});

test("native: the per-platform package, then PATH (skipping scripts such as this wrapper)", () => {
  const pkgDir = path.join(tmpRoot, "nm", native.platformPackage());
  fakeBinary(path.join(pkgDir, "bin", native.EXE));
  fs.writeFileSync(path.join(pkgDir, "package.json"), "{}");
  const outsideRepo = path.join(tmpRoot, "no-repo", "sdks", "js");
  const resolve = (id) => {
    assert.strictEqual(id, `${native.platformPackage()}/package.json`);
    return path.join(pkgDir, "package.json");
  };
  const found = native.findNative({ env: { PATH: "" }, sdkDir: outsideRepo, resolve });
  assert.strictEqual(found.source, native.platformPackage());
  assert.strictEqual(found.path, path.join(pkgDir, "bin", native.EXE));

  const scripts = path.join(tmpRoot, "path-scripts");
  fs.mkdirSync(scripts, { recursive: true });
  fs.writeFileSync(path.join(scripts, native.EXE), "#!/usr/bin/env node\n");
  fs.chmodSync(path.join(scripts, native.EXE), 0o755);
  const onPath = path.join(tmpRoot, "path-native");
  fakeBinary(path.join(onPath, native.EXE));
  const noPkg = () => {
    throw new Error("not installed");
  };
  const viaPath = native.findNative({ env: { PATH: [scripts, onPath].join(path.delimiter) }, sdkDir: outsideRepo, resolve: noPkg });
  assert.strictEqual(viaPath.source, "PATH");
  assert.strictEqual(viaPath.path, path.join(onPath, native.EXE));

  assert.throws(
    () => native.findNative({ env: { PATH: scripts }, sdkDir: outsideRepo, resolve: noPkg }),
    (e) => e instanceof native.NativeNotFound && /not installed/.test(e.message) && /OWNCAST_PLUGIN_BIN/.test(e.message)
  );
});

test("native: inside the repository, the target/ build", () => {
  const root = native.repositoryRoot();
  assert.strictEqual(root, ROOT);
  const c = native.candidates({ env: { PATH: "" } }).find((x) => x.source === "repository build");
  assert.ok(c && c.path.startsWith(path.join(ROOT, "target")), JSON.stringify(c));
});

test("cli: without a native binary, test explains where it looked", () => {
  const r = cli(["test", "."], {
    env: Object.assign({}, process.env, { OWNCAST_PLUGIN_BIN: path.join(tmpRoot, "missing-binary") }),
  });
  assert.strictEqual(r.status, 127);
  assert.match(r.stderr, /OWNCAST_PLUGIN_BIN is .*missing-binary, which does not exist/);
});

test("cli: test/serve/package pass their arguments to the native binary and return its exit code", () => {
  const script = path.join(tmpRoot, "echo-args.sh");
  fs.writeFileSync(script, '#!/bin/sh\necho "args: $*"\nexit 3\n');
  fs.chmodSync(script, 0o755);
  for (const cmd of ["test", "serve", "package", "demo"]) {
    const r = cli([cmd, "some/dir", "--json"], { env: Object.assign({}, process.env, { OWNCAST_PLUGIN_BIN: script }) });
    assert.strictEqual(r.status, 3);
    assert.strictEqual(r.stdout.trim(), `args: ${cmd} some/dir --json`);
  }
  // serve and package default their directory to the project, as build and test do
  const env = Object.assign({}, process.env, { OWNCAST_PLUGIN_BIN: script });
  assert.strictEqual(cli(["serve", "--listen", "127.0.0.1:9"], { env }).stdout.trim(), "args: serve . --listen 127.0.0.1:9");
  assert.strictEqual(cli(["package"], { env }).stdout.trim(), "args: package .");
  assert.strictEqual(cli(["package", "-o", "x.ocpkg", "dir"], { env }).stdout.trim(), "args: package -o x.ocpkg dir");
});

// --- through the real runtime ---------------------------------------------

async function builtPlugin(files, manifestExtra, buildOpts = {}) {
  const dir = plugin(files, manifestExtra);
  await build(dir, Object.assign({ log: () => {}, warn: () => {} }, buildOpts));
  return dir;
}

function scenarios(dir, cases) {
  fs.mkdirSync(path.join(dir, "__tests__"), { recursive: true });
  fs.writeFileSync(path.join(dir, "__tests__", "t.test.json"), JSON.stringify(cases));
}

test("runtime: owncast-plugin test runs a JS plugin's scenarios (pass and fail, --json)", { skip: needBoth }, async () => {
  const dir = await builtPlugin(
    {
      "src/plugin.ts":
        'import { definePlugin, owncast, filter } from "@owncast/plugin-sdk";\n' +
        "export default definePlugin({\n" +
        "  onChatMessage(m) { owncast.chat.send(`hi ${m.user.displayName}`); },\n" +
        '  filterChatMessage(m) { return m.body.includes("spam") ? filter.drop("no spam") : filter.pass(); },\n' +
        "});\n",
    },
    { permissions: ["chat.send", "chat.filter"] }
  );
  scenarios(dir, [
    { name: "greets", events: [{ event: "chat.message.received", payload: MSG("yo") }], expect: { chatSends: ["hi alice"] } },
    { name: "drops spam", events: [{ filter: "chat.message.received", payload: MSG("spam!"), expect: { action: "drop", reason: "no spam" } }] },
    { name: "wrong on purpose", events: [{ event: "chat.message.received", payload: MSG("yo") }], expect: { chatSends: ["bye"] } },
  ]);
  const r = cli(["test", dir, "--json"]);
  assert.strictEqual(r.status, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.strictEqual(report.passed, 2);
  assert.strictEqual(report.failed, 1);
  const failed = report.plugins[0].cases.find((c) => !c.passed);
  assert.strictEqual(failed.name, "wrong on purpose");
  assert.match(failed.failures.join("\n"), /chatSends/);
});

test("runtime: host timers, config values and assets through the real host (advanceTimers)", { skip: needBoth }, async () => {
  const dir = await builtPlugin(
    {
      "src/plugin.js":
        'const { definePlugin, owncast } = require("@owncast/plugin-sdk");\n' +
        "let ticks = 0;\n" +
        "let every = 0;\n" +
        "module.exports = definePlugin({\n" +
        "  onChatMessage() {\n" +
        '    owncast.timer.setTimeout(() => owncast.chat.send(`${owncast.assets.readText("greeting.txt").trim()} ${owncast.config.get("word", "x")}`), 500);\n' +
        "    every = owncast.timer.setInterval(() => {\n" +
        "      ticks++;\n" +
        "      owncast.chat.send(`tick ${ticks}`);\n" +
        "      if (ticks === 2) owncast.timer.clear(every);\n" +
        "    }, 1000);\n" +
        "  },\n" +
        "});\n",
      "assets/greeting.txt": "hello\n",
    },
    { permissions: ["chat.send"], config: { word: { type: "string", default: "world" } } }
  );
  const chat = { event: "chat.message.received", payload: MSG("go") };
  scenarios(dir, [
    { name: "nothing before the delay", events: [chat, { advanceTimers: 400 }], expect: { chatSends: [] } },
    {
      name: "the timeout once, the interval until cleared",
      given: { config: { word: "yo" } },
      events: [chat, { advanceTimers: 400 }, { advanceTimers: 200 }, { advanceTimers: 3000 }],
      expect: { chatSends: ["hello yo", "tick 1", "tick 2"] },
    },
    { name: "the manifest default without an admin value", events: [chat, { advanceTimers: 600 }], expect: { chatSends: ["hello world"] } },
  ]);
  const r = cli(["test", dir]);
  assert.strictEqual(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /3 passed, 0 failed/);
});

test("runtime: the shared-engine form (<slug>.js, build --script) passes the same scenarios", { skip: needBoth }, async () => {
  const example = path.join(ROOT, "examples", "js", "relay");
  const dir = path.join(tmpRoot, "shared-relay");
  fs.mkdirSync(path.join(dir, "__tests__"), { recursive: true });
  for (const f of ["plugin.manifest.json", "__tests__/relay.test.json"]) fs.copyFileSync(path.join(example, f), path.join(dir, f));
  await build(example, { script: true, outDir: dir, log: () => {}, warn: () => {} });
  assert.deepStrictEqual(fs.readdirSync(dir).filter((f) => f.endsWith(".wasm")), []);
  const env = Object.assign({}, process.env, { OWNCAST_JS_ENGINE: ENGINE });
  const r = cli(["test", dir], { env });
  assert.strictEqual(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /4 passed, 0 failed/);
});

test("runtime: an ungranted call (built with --allow-ungranted) is refused, naming the permission and the line", { skip: needBoth }, async () => {
  const dir = await builtPlugin(
    {
      "src/plugin.js": [
        'const { definePlugin, owncast, filter } = require("@owncast/plugin-sdk");',
        "module.exports = definePlugin({",
        "  filterChatMessage(msg) {",
        '    if (owncast.kv.get("banned:" + msg.user.id)) return filter.drop("banned");',
        "    return filter.pass();",
        "  },",
        "});",
        "",
      ].join("\n"),
    },
    { permissions: ["chat.filter"] },
    { permissionCheck: "warn" }
  );
  scenarios(dir, [
    {
      name: "drops banned users",
      given: { kv: { "banned:u-alice": "1" } },
      events: [{ filter: "chat.message.received", payload: MSG("hi"), expect: { action: "drop" } }],
    },
  ]);
  const r = cli(["test", dir]);
  assert.strictEqual(r.status, 1);
  assert.match(r.stdout, /expected drop, got pass/);
  assert.match(r.stdout, /failed open/);
  assert.match(r.stdout, /owncast\.kv\.get needs the "storage\.kv" permission/);
  assert.match(r.stdout, /src\/plugin\.js:4:/);
});

test("runtime: a thrown error fails open and its stack points at the author's line", { skip: needBoth }, async () => {
  const dir = await builtPlugin(
    {
      "src/plugin.ts": [
        'import { definePlugin, filter } from "@owncast/plugin-sdk";',
        "",
        "export default definePlugin({",
        "  filterChatMessage(msg) {",
        "    const words: string[] = msg.body.split(' ');",
        "    return words[9].length > 3 ? filter.drop('long') : filter.pass();",
        "  },",
        "});",
        "",
      ].join("\n"),
    },
    { permissions: ["chat.filter"] }
  );
  scenarios(dir, [
    { name: "crashes", events: [{ filter: "chat.message.received", payload: MSG("a b"), expect: { action: "drop" } }] },
  ]);
  const r = cli(["test", dir]);
  assert.strictEqual(r.status, 1);
  assert.match(r.stdout, /TypeError/);
  assert.match(r.stdout, /at filterChatMessage \(src\/plugin\.ts:6:/);
});

test("runtime: a module exporting none of the plugin entry points is refused at load", { skip: needBoth }, async () => {
  const dir = await builtPlugin(
    { "src/plugin.js": 'const { definePlugin } = require("@owncast/plugin-sdk");\nmodule.exports = definePlugin({});\n' },
    {}
  );
  const file = path.join(dir, "t.wasm");
  let bytes = fs.readFileSync(file);
  for (const name of ["register", "on_event", "on_filter", "on_http_request"]) {
    const needle = Buffer.concat([Buffer.from([name.length]), Buffer.from(name)]);
    const at = bytes.indexOf(needle);
    assert.ok(at > 0, name);
    bytes[at + needle.length - 1] ^= 0x20; // flip the case of the last letter
  }
  fs.writeFileSync(file, bytes);
  scenarios(dir, [{ name: "loads", events: [] }]);
  const r = cli(["test", dir]);
  assert.strictEqual(r.status, 1);
  assert.match(r.stdout, /load failed: .*t\.wasm: .*exports none of register, on_event, on_filter, on_http_request/);
});

test("runtime: every example in examples/js passes its scenarios", { skip: needBoth }, () => {
  const examples = path.join(ROOT, "examples", "js");
  const dirs = fs
    .readdirSync(examples)
    .map((d) => path.join(examples, d))
    .filter((d) => fs.existsSync(path.join(d, "plugin.manifest.json")));
  const unbuilt = dirs.filter((d) => !fs.readdirSync(d).some((f) => f.endsWith(".wasm")));
  if (unbuilt.length && !REQUIRE) return; // tools/build-js-examples.sh builds them
  assert.deepStrictEqual(unbuilt, [], "examples not built: run tools/build-js-examples.sh");
  const r = cli(["test", ...dirs, "--json"]);
  const report = JSON.parse(r.stdout);
  const failures = report.plugins.flatMap((p) =>
    (p.error ? [`${p.dir}: ${p.error}`] : []).concat(p.cases.filter((c) => !c.passed).map((c) => `${p.dir}: ${c.name}: ${c.failures.join("; ")}`))
  );
  assert.deepStrictEqual(failures, []);
  assert.ok(report.passed >= 40, `only ${report.passed} scenarios`);
});

// --- generated types ----------------------------------------------------------

test("types/contract.d.ts is what `owncast-plugin contract --ts` generates from wit/", { skip: needNative }, () => {
  const help = spawnSync(NATIVE, ["contract", "--help"], { encoding: "utf8" });
  if (help.status !== 0 && !REQUIRE) return; // an older binary without the generator
  const r = spawnSync(NATIVE, ["contract", "--wit", path.join(ROOT, "wit"), "--ts", path.join(SDK, "types", "contract.d.ts"), "--check"], {
    encoding: "utf8",
  });
  assert.strictEqual(
    r.status,
    0,
    `types/contract.d.ts is stale: regenerate with\n  target/debug/owncast-plugin contract --ts sdks/js/types/contract.d.ts\n${r.stderr}`
  );
});

test("index.d.ts type-checks, with the TypeScript examples and fixtures", () => {
  let tsc;
  try {
    tsc = require.resolve("typescript/bin/tsc");
  } catch (e) {
    if (REQUIRE) throw e;
    return; // devDependency not installed
  }
  const r = spawnSync(process.execPath, [tsc, "-p", path.join(__dirname, "types")], { encoding: "utf8" });
  assert.strictEqual(r.status, 0, r.stdout + r.stderr);
});

// --- upstream's project layouts ---------------------------------------------------

test("build: a root plugin.js (no src/) and a manifest without slug, as upstream allows", { skip: needEngine }, async () => {
  const dir = plugin(
    { "plugin.js": 'const { definePlugin, owncast } = require("@owncast/plugin-sdk");\nmodule.exports = definePlugin({ onChatMessage(m) { owncast.chat.send(m.body); } });\n' },
    { slug: undefined, name: "My Root Plugin!", permissions: ["chat.send"] }
  );
  const r = cli(["build", dir, "--script"]);
  assert.strictEqual(r.status, 0, r.stderr);
  // the slug upstream derives from the name names the outputs
  const m = JSON.parse(fs.readFileSync(path.join(dir, "my-root-plugin.manifest.json"), "utf8"));
  assert.strictEqual(m.slug, "my-root-plugin");
  assert.deepStrictEqual(m.subscriptions.notify, [{ event: "chat.message.received" }]);
  assert.ok(fs.existsSync(path.join(dir, "my-root-plugin.js")));
});

test("package: builds first when the plugin was never built", { skip: needBoth }, () => {
  const dir = plugin({
    "src/plugin.js": 'const { definePlugin } = require("@owncast/plugin-sdk");\nmodule.exports = definePlugin({});\n',
  });
  assert.ok(!fs.existsSync(path.join(dir, "t.wasm")));
  const r = cli(["package", dir]);
  assert.strictEqual(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /not built yet; building first/);
  assert.ok(fs.existsSync(path.join(dir, "t.wasm")));
  assert.ok(fs.existsSync(path.join(dir, "t.ocpkg")));
  // built already: no second build
  const again = cli(["package", dir]);
  assert.strictEqual(again.status, 0, again.stderr);
  assert.doesNotMatch(again.stdout, /building first/);
});

test("an upstream-style project (src/, no slug, runScenarios tests, upstream's npm scripts) builds, tests and packages offline", { skip: needBoth }, () => {
  // examples/js/message-counter laid out the way upstream's template lays a
  // project out: the same source, a manifest without `slug`, JS scenario
  // tests through @owncast/plugin-sdk/testing, and upstream's scripts.
  const example = path.join(ROOT, "examples", "js", "message-counter");
  const dir = path.join(tmpRoot, "upstream-project");
  fs.mkdirSync(path.join(dir, "src"), { recursive: true });
  fs.mkdirSync(path.join(dir, "__tests__"));
  fs.copyFileSync(path.join(example, "src", "plugin.js"), path.join(dir, "src", "plugin.js"));
  const manifest = JSON.parse(fs.readFileSync(path.join(example, "plugin.manifest.json"), "utf8"));
  delete manifest.slug;
  fs.writeFileSync(path.join(dir, "plugin.manifest.json"), JSON.stringify(manifest, null, 2));
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify(
      {
        name: "message-counter",
        version: "0.1.0",
        private: true,
        scripts: {
          build: "owncast-plugin build",
          package: "owncast-plugin package",
          test: "owncast-plugin build && node __tests__/plugin.test.js",
          serve: "owncast-plugin build && owncast-plugin serve",
        },
        dependencies: { "@owncast/plugin-sdk": `file:${SDK}` },
      },
      null,
      2
    )
  );
  fs.writeFileSync(
    path.join(dir, "__tests__", "plugin.test.js"),
    [
      'const { runScenarios } = require("@owncast/plugin-sdk/testing");',
      "const say = (id, name, body) => ({",
      '  event: "chat.message.received",',
      '  payload: { id, user: { id: `u-${name}`, displayName: name }, body, timestamp: "2024-01-01T00:00:00Z" },',
      "});",
      "runScenarios([",
      "  {",
      '    name: "counts per user",',
      '    events: [say("1", "ann", "hi"), say("2", "ann", "again"), say("3", "bo", "yo")],',
      '    expect: { chatSends: ["ann has sent 1 message(s) total", "ann has sent 2 message(s) total", "bo has sent 1 message(s) total"], kv: { "count:u-ann": "2" } },',
      "  },",
      "]);",
      "",
    ].join("\n")
  );
  const i = npm(["install", "--offline"], dir);
  assert.strictEqual(i.status, 0, i.stdout + i.stderr);
  const t = npm(["test"], dir);
  assert.strictEqual(t.status, 0, t.stdout + t.stderr);
  assert.match(t.stdout, /1 passed, 0 failed/);
  assert.ok(fs.existsSync(path.join(dir, "message-counter.wasm")), "the slug derived from the name names the build");
  const p = npm(["run", "package"], dir);
  assert.strictEqual(p.status, 0, p.stdout + p.stderr);
  assert.ok(fs.existsSync(path.join(dir, "message-counter.ocpkg")));
});

// --- create-owncast-plugin -------------------------------------------------------

function npm(args, cwd) {
  return spawnSync(process.platform === "win32" ? "npm.cmd" : "npm", args, {
    cwd,
    encoding: "utf8",
    env: Object.assign({}, process.env, { npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" }),
  });
}

test("create-owncast-plugin: scaffold, install offline, build and test", { skip: needEngine }, () => {
  const where = path.join(tmpRoot, "scaffold");
  fs.mkdirSync(where);
  const c = spawnSync(process.execPath, [CREATE, "my-plugin", "--sdk", SDK], { cwd: where, encoding: "utf8" });
  assert.strictEqual(c.status, 0, c.stderr);
  const dir = path.join(where, "my-plugin");
  // upstream's template (INSTRUCTIONS.md, AGENTS.md, the JS test harness) plus ours
  for (const f of ["package.json", "src/plugin.js", "plugin.manifest.json", "__tests__/plugin.test.json", "__tests__/plugin.test.js", "INSTRUCTIONS.md", "AGENTS.md", ".agents/skills/owncast-plugin-js/SKILL.md", "README.md", ".gitignore"]) {
    assert.ok(fs.existsSync(path.join(dir, f)), f);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  assert.match(pkg.dependencies["@owncast/plugin-sdk"], /^file:/);
  assert.strictEqual(JSON.parse(fs.readFileSync(path.join(dir, "plugin.manifest.json"), "utf8")).slug, "my-plugin");

  const i = npm(["install", "--offline"], dir);
  assert.strictEqual(i.status, 0, i.stdout + i.stderr);
  const b = npm(["run", "build"], dir);
  assert.strictEqual(b.status, 0, b.stdout + b.stderr);
  assert.ok(fs.existsSync(path.join(dir, "my-plugin.wasm")));
  if (needNative) return;
  const t = npm(["test"], dir);
  assert.strictEqual(t.status, 0, t.stdout + t.stderr);
  assert.match(t.stdout, /2 passed, 0 failed/); // __tests__/plugin.test.json
  assert.match(t.stdout, /3 passed, 0 failed/); // __tests__/plugin.test.js through runScenarios

  // the JS harness fails the run when a scenario fails
  fs.writeFileSync(
    path.join(dir, "__tests__", "plugin.test.js"),
    'require("@owncast/plugin-sdk/testing").runScenarios([{ name: "wrong on purpose", events: [{ event: "chat.message.received", payload: { id: "1", user: { id: "u", displayName: "u" }, body: "!hello", timestamp: "2024-01-01T00:00:00Z" } }], expect: { chatSends: ["nope"] } }]);\n'
  );
  const bad = npm(["test"], dir);
  assert.notStrictEqual(bad.status, 0, bad.stdout);
  assert.match(bad.stdout, /wrong on purpose/);
  assert.match(bad.stdout, /0 passed, 1 failed/);
  if (spawnSync(NATIVE, ["package", "--help"]).status !== 0 && !REQUIRE) return; // a binary without `package`
  const p = npm(["run", "package"], dir);
  assert.strictEqual(p.status, 0, p.stdout + p.stderr);
  assert.ok(fs.existsSync(path.join(dir, "my-plugin.ocpkg")));
});

test("create-owncast-plugin: --python makes a Python project with the Python SDK's scaffolder", () => {
  const where = path.join(tmpRoot, "scaffold-py");
  fs.mkdirSync(where);
  const env = { ...process.env, PYTHONPATH: path.join(SDK, "..", "python"), OWNCAST_PYTHON: process.env.OWNCAST_PYTHON || "python3" };
  const run = (args, extra = {}) =>
    spawnSync(process.execPath, [CREATE, ...args], { cwd: where, encoding: "utf8", env: { ...env, ...extra } });
  const c = run(["py-bot", "--python", "--name", "Py Bot"]);
  assert.strictEqual(c.status, 0, c.stdout + c.stderr);
  const dir = path.join(where, "py-bot");
  for (const f of ["src/plugin.py", "plugin.manifest.json", "__tests__/plugin.test.json", "README.md", ".gitignore"]) {
    assert.ok(fs.existsSync(path.join(dir, f)), f);
  }
  const m = JSON.parse(fs.readFileSync(path.join(dir, "plugin.manifest.json"), "utf8"));
  assert.deepStrictEqual([m.slug, m.name], ["py-bot", "Py Bot"]);
  assert.match(fs.readFileSync(path.join(dir, "src", "plugin.py"), "utf8"), /from owncast_plugin import/);
  assert.ok(!fs.existsSync(path.join(dir, "package.json")));
  const mixed = run(["other", "--python", "--typescript"]);
  assert.strictEqual(mixed.status, 2);
  assert.match(mixed.stderr, /--typescript does not apply to --python/);
  const noPython = run(["third", "--python"], { OWNCAST_PYTHON: path.join(where, "no-such-python") });
  assert.strictEqual(noPython.status, 2);
  assert.match(noPython.stderr, /--python: could not run .*no-such-python/);
});

test("create-owncast-plugin: --typescript, names, and refusing bad targets", () => {
  const where = path.join(tmpRoot, "scaffold-ts");
  fs.mkdirSync(where);
  const run = (args) => spawnSync(process.execPath, [CREATE, ...args], { cwd: where, encoding: "utf8" });
  const c = run(["Chat Stats", "--typescript", "--sdk", SDK]);
  assert.strictEqual(c.status, 0, c.stderr);
  const dir = path.join(where, "Chat Stats");
  assert.ok(fs.existsSync(path.join(dir, "src", "plugin.ts")));
  assert.ok(fs.existsSync(path.join(dir, "tsconfig.json")));
  const m = JSON.parse(fs.readFileSync(path.join(dir, "plugin.manifest.json"), "utf8"));
  assert.strictEqual(m.slug, "chat-stats");
  assert.strictEqual(m.name, "Chat Stats");
  // it builds as generated (the SDK import is resolved by the build itself)
  const b = cli(["build", dir, "--script"]);
  assert.strictEqual(b.status, 0, b.stderr);

  const again = run(["Chat Stats"]);
  assert.strictEqual(again.status, 2);
  assert.match(again.stderr, /is not empty/);
  const bad = run(["x", "--slug", "Not_A_Slug"]);
  assert.strictEqual(bad.status, 2);
  assert.match(bad.stderr, /not a valid plugin slug/);
  const notSdk = run(["y", "--sdk", where]);
  assert.strictEqual(notSdk.status, 2);
  assert.match(notSdk.stderr, /--sdk .*package\.json is not readable/);
  const published = run(["z", "--sdk", "^0.1.0"]);
  assert.strictEqual(published.status, 0);
  assert.strictEqual(JSON.parse(fs.readFileSync(path.join(where, "z", "package.json"), "utf8")).dependencies["@owncast/plugin-sdk"], "^0.1.0");
});

// --- scripts/pack-native.js --------------------------------------------------------

test("pack-native: the platform package and a staged SDK find each other once installed", { skip: needNative }, () => {
  const pack = require("../scripts/pack-native");
  const out = path.join(tmpRoot, "packed");
  const p = pack.packPlatform({ out, binary: NATIVE });
  const pkg = JSON.parse(fs.readFileSync(path.join(p.dir, "package.json"), "utf8"));
  assert.strictEqual(pkg.name, native.platformPackage());
  assert.deepStrictEqual(pkg.os, [process.platform]);
  assert.deepStrictEqual(pkg.cpu, [process.arch]);
  assert.ok(fs.statSync(path.join(p.dir, "bin", native.EXE)).mode & 0o100);
  if (ENGINE) assert.ok(fs.existsSync(path.join(p.dir, "bin", "owncast-js-engine.wasm")));
  if (!ENGINE) return;
  const s = pack.stageSdk({ out, platforms: ["linux-x64", "darwin-arm64"] });
  const sdkPkg = JSON.parse(fs.readFileSync(path.join(s.dir, "package.json"), "utf8"));
  assert.deepStrictEqual(Object.keys(sdkPkg.optionalDependencies), ["@owncast/plugin-cli-linux-x64", "@owncast/plugin-cli-darwin-arm64"]);
  assert.ok(fs.existsSync(path.join(s.dir, "types", "contract.d.ts")));
  assert.ok(fs.existsSync(path.join(s.dir, "lib", "sdk-esm.mjs")));

  // An author's project as npm would lay it out: both packages in node_modules, outside this repository.
  const project = path.join(tmpRoot, "installed-project");
  fs.mkdirSync(path.join(project, "node_modules", "@owncast"), { recursive: true });
  fs.renameSync(s.dir, path.join(project, "node_modules", "@owncast", "plugin-sdk"));
  fs.renameSync(p.dir, path.join(project, "node_modules", pkg.name));
  const env = Object.assign({}, process.env, { PATH: path.dirname(process.execPath) });
  delete env.OWNCAST_PLUGIN_BIN;
  const bin = path.join(project, "node_modules", "@owncast", "plugin-sdk", "bin", "owncast-plugin.js");
  const v = spawnSync(process.execPath, [bin, "version"], { cwd: project, env, encoding: "utf8" });
  assert.strictEqual(v.status, 0, v.stderr);
  assert.match(v.stdout, new RegExp(`native: .*node_modules/${pkg.name.replace("/", "\\/")}/bin/owncast-plugin \\(${pkg.name.replace("/", "\\/")}\\)`));
  const example = path.join(ROOT, "examples", "rust", "echo-bot");
  if (fs.existsSync(path.join(example, "echo-bot.wasm"))) {
    const t = spawnSync(process.execPath, [bin, "test", example], { cwd: project, env, encoding: "utf8" });
    assert.strictEqual(t.status, 0, t.stdout + t.stderr);
    assert.match(t.stdout, /passed, 0 failed/);
  }
});
