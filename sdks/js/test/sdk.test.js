"use strict";
// Unit tests of the SDK runtime (index.js) and the build command that need no
// engine: handler validation, derived subscriptions, result normalization.

const test = require("node:test");
const assert = require("node:assert");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");

const sdk = require("..");
const { validate, subscriptions, normalizeFilterResult, normalizeHttpResponse } = sdk._internal;

test("unknown handler names are rejected with a suggestion", () => {
  assert.throws(
    () => validate({ onChatMesage() {} }),
    (e) => /unknown handler "onChatMesage"/.test(e.message) && /Did you mean "onChatMessage"\?/.test(e.message)
  );
  assert.throws(() => validate({ filterChatMesages() {} }), /Did you mean "filterChatMessage"/);
  assert.throws(() => validate({ onStreamStart() {} }), /Did you mean "onStreamStarted"/);
  assert.throws(() => validate({ onfediverselike() {} }), /Did you mean "onFediverseLike"/);
  assert.throws(() => validate({ onChatMessage: "nope" }), /onChatMessage must be a function/);
  assert.throws(() => validate({ filterPriority: "early" }), /filterPriority must be a number/);
  assert.throws(() => validate({ commands: { hi: {} } }), /command "hi" needs a run\(ctx\) function/);
  // like upstream, other keys are the author's: data and helpers that do not look like handlers
  validate({ somethingElse: 1, greeting: "hi", format() {}, filterPriority: 5, onTick() {}, onPageStyles() {} });
  assert.throws(() => validate({ on: { "x.y": 1 } }), /on\["x.y"\] must be a function/);
  assert.throws(() => validate({ on: { onChatMessage() {} } }), /is a handler name, not an event type/);
  validate({ _helper: 1, onChatMessage() {}, on: { "a.b"() {} } });
});

test("subscriptions are derived from handler names", () => {
  const def = {
    onChatMessage() {},
    filterChatMessage() {},
    onChatUserJoined() {},
    onChatUserParted() {},
    onChatUserRenamed() {},
    onMessageModerated() {},
    onStreamStarted() {},
    onStreamStopped() {},
    onStreamTitleChanged() {},
    onSseConnect() {},
    onSseDisconnect() {},
    onFediverseFollow() {},
    onFediverseLike() {},
    onFediverseRepost() {},
    onFediverseMention() {},
    onFediverseReply() {},
    onFediverseQuote() {},
    onHttpRequest() {},
    on: { "announcement.broadcast"() {}, "chat.message.received"() {} },
  };
  const s = subscriptions(def);
  // The contract's built-in events, from the types generated from wit/: each
  // has a handler. The SDK also has upstream's handlers for the host events
  // the WIT carries as `custom` (no record of their own: tick,
  // fediverse.activity).
  const dts = fs.readFileSync(path.join(__dirname, "..", "types", "contract.d.ts"), "utf8");
  const block = dts.slice(dts.indexOf("export interface EventPayloads {"));
  const contractEvents = [...block.slice(0, block.indexOf("}")).matchAll(/"([a-z.]+)":/g)].map((m) => m[1]);
  assert.ok(contractEvents.length >= 15);
  const upstreamOnly = ["tick", "fediverse.activity"];
  assert.deepStrictEqual(
    [...sdk.events].filter((e) => !upstreamOnly.includes(e)).sort(),
    contractEvents.filter((e) => !upstreamOnly.includes(e)).sort(),
    "one handler per contract event"
  );
  assert.deepStrictEqual(Object.values(sdk.Events).sort(), [...sdk.events].sort(), "Events names every handled event");
  assert.deepStrictEqual(
    s.notify.map((n) => n.event),
    [...sdk.events.filter((e) => contractEvents.includes(e) && !upstreamOnly.includes(e)), "announcement.broadcast"]
  );
  assert.deepStrictEqual(s.filter, [{ event: "chat.message.received" }]);
  // filterPriority on the definition applies to every filter subscription
  assert.deepStrictEqual(subscriptions({ filterChatMessage() {}, filterPriority: 10 }).filter, [
    { event: "chat.message.received", priority: 10 },
  ]);
  // the host routes commands: a commands table alone subscribes to nothing,
  // onUnknownCommand needs the chat messages
  assert.deepStrictEqual(subscriptions({ commands: { hi: { run() {} } } }).notify, []);
  assert.deepStrictEqual(subscriptions({ commands: { hi: { run() {} } }, onUnknownCommand() {} }).notify, [
    { event: "chat.message.received" },
  ]);
});

test("filter results", () => {
  const { filter } = sdk;
  assert.deepStrictEqual(normalizeFilterResult("f", filter.pass()), { action: "pass" });
  assert.deepStrictEqual(normalizeFilterResult("f", undefined), { action: "pass" });
  assert.deepStrictEqual(normalizeFilterResult("f", filter.drop("r")), { action: "drop", reason: "r" });
  assert.deepStrictEqual(normalizeFilterResult("f", filter.drop()), { action: "drop" });
  assert.deepStrictEqual(normalizeFilterResult("f", filter.modify({ body: "x" })), {
    action: "modify",
    payload: { body: "x" },
  });
  assert.throws(() => filter.modify(), /needs the new payload/);
  assert.throws(() => normalizeFilterResult("filterChatMessage", { body: "x" }), /filterChatMessage must return filter\.pass\(\)/);
  assert.throws(() => normalizeFilterResult("f", true), /must return/);
});

test("http responses", () => {
  assert.deepStrictEqual(normalizeHttpResponse(undefined), { status: 200, headers: {}, body: "" });
  assert.deepStrictEqual(normalizeHttpResponse("hi"), {
    status: 200,
    headers: { "content-type": "text/plain; charset=utf-8" },
    body: "hi",
  });
  assert.deepStrictEqual(normalizeHttpResponse({ a: 1 }), {
    status: 200,
    headers: { "content-type": "application/json" },
    body: '{"a":1}',
  });
  assert.deepStrictEqual(normalizeHttpResponse({ status: 201, body: { a: 1 } }), {
    status: 201,
    headers: { "content-type": "application/json" },
    body: '{"a":1}',
  });
  assert.deepStrictEqual(normalizeHttpResponse({ status: 200, headers: { "Content-Type": "text/html", "X-N": 1 }, body: "<p>" }), {
    status: 200,
    headers: { "Content-Type": "text/html", "X-N": "1" },
    body: "<p>",
  });
  assert.deepStrictEqual(normalizeHttpResponse({ status: 404 }), { status: 404, headers: {} });
  assert.deepStrictEqual(normalizeHttpResponse([1, 2]), {
    status: 200,
    headers: { "content-type": "application/json" },
    body: "[1,2]",
  });
});

/** Plugin folders made by tmpPlugin, removed when the tests end. */
const tmpDirs = [];
test.after(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tmpPlugin(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "owncast-sdk-unit-"));
  tmpDirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const CLI = path.join(__dirname, "..", "bin", "owncast-plugin.js");
const manifest = (extra) =>
  JSON.stringify(Object.assign({ api: "1", name: "T", slug: "t", version: "1.0.0", permissions: [] }, extra));

test("build --script: a handler typo fails the build with a suggestion", () => {
  const dir = tmpPlugin({
    "plugin.manifest.json": manifest(),
    "src/plugin.js": 'const { definePlugin } = require("@owncast/plugin-sdk");\nmodule.exports = definePlugin({ onChatMesage() {} });\n',
  });
  const r = spawnSync(process.execPath, [CLI, "build", dir, "--script"], { encoding: "utf8" });
  assert.strictEqual(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /unknown handler "onChatMesage"\. Did you mean "onChatMessage"\?/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("build --script: filters need chat.filter", () => {
  const dir = tmpPlugin({
    "plugin.manifest.json": manifest(),
    "src/plugin.js":
      'const { definePlugin, filter } = require("@owncast/plugin-sdk");\nmodule.exports = definePlugin({ filterChatMessage() { return filter.pass(); } });\n',
  });
  const r = spawnSync(process.execPath, [CLI, "build", dir, "--script"], { encoding: "utf8" });
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /"chat\.filter" permission/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("build --script: writes <slug>.js with the runtime and an inline source map", () => {
  const dir = tmpPlugin({
    "plugin.manifest.json": manifest({ permissions: ["chat.send"] }),
    "src/plugin.js":
      'import { definePlugin, owncast } from "@owncast/plugin-sdk";\nexport default definePlugin({ onChatMessage(m) { owncast.chat.send(m.body); } });\n',
  });
  const r = spawnSync(process.execPath, [CLI, "build", dir, "--script"], { encoding: "utf8" });
  assert.strictEqual(r.status, 0, r.stderr);
  const js = fs.readFileSync(path.join(dir, "t.js"), "utf8");
  assert.match(js, /__owncast_dispatch/);
  assert.match(js, /\/\/# sourceMappingURL=data:application\/json/);
  const m = JSON.parse(fs.readFileSync(path.join(dir, "t.manifest.json"), "utf8"));
  assert.deepStrictEqual(m.subscriptions, { notify: [{ event: "chat.message.received" }], filter: [] });
  fs.rmSync(dir, { recursive: true, force: true });
});

test("build: a throwing top level is reported at the author's line", () => {
  const dir = tmpPlugin({
    "plugin.manifest.json": manifest(),
    "src/plugin.js": 'const { definePlugin } = require("@owncast/plugin-sdk");\n\nnull.boom;\nmodule.exports = definePlugin({});\n',
  });
  const r = spawnSync(process.execPath, [CLI, "build", dir, "--script"], { encoding: "utf8" });
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /src\/plugin\.js:3:/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("build --script: the ESM form exports upstream's names (Events, Permissions, FilterAction, defineCommands, escapeHtml)", () => {
  const dir = tmpPlugin({
    "plugin.manifest.json": manifest({ permissions: ["chat.send", "chat.filter"] }),
    "src/plugin.js": [
      'import { definePlugin, defineCommands, owncast, filter, Events, Permissions, FilterAction, escapeHtml, authCheck } from "@owncast/plugin-sdk";',
      "const route = defineCommands({ commands: { hi: { run: (c) => c.reply(escapeHtml(c.argString)) } } });",
      "export default definePlugin({",
      "  filterPriority: 7,",
      "  filterChatMessage(m) { return route(m) ? { action: FilterAction.Drop } : filter.pass(); },",
      "  on: { [Events.StreamStarted + '.x']() { owncast.chat.send(Permissions.ChatSend + authCheck.ok().action); } },",
      "});",
      "",
    ].join("\n"),
  });
  const r = spawnSync(process.execPath, [CLI, "build", dir, "--script"], { encoding: "utf8" });
  assert.strictEqual(r.status, 0, r.stderr);
  const m = JSON.parse(fs.readFileSync(path.join(dir, "t.manifest.json"), "utf8"));
  assert.deepStrictEqual(m.subscriptions.filter, [{ event: "chat.message.received", priority: 7 }]);
  assert.deepStrictEqual(m.subscriptions.notify, [{ event: "stream.started.x" }]);
  // a name the SDK does not export fails at the author's line
  fs.writeFileSync(path.join(dir, "src/plugin.js"), 'import { definePlugin, Eventz } from "@owncast/plugin-sdk";\nexport default definePlugin({});\n');
  const bad = spawnSync(process.execPath, [CLI, "build", dir, "--script"], { encoding: "utf8" });
  assert.strictEqual(bad.status, 1);
  assert.match(bad.stderr, /src\/plugin\.js:1:.*Eventz/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("build --script: page content handlers need ui.modify, onAuthCheck needs auth.gate", () => {
  const dir = tmpPlugin({
    "plugin.manifest.json": manifest(),
    "src/plugin.js": 'const { definePlugin } = require("@owncast/plugin-sdk");\nmodule.exports = definePlugin({ onPageStyles() { return ""; }, onAuthCheck() {} });\n',
  });
  const r = spawnSync(process.execPath, [CLI, "build", dir, "--script"], { encoding: "utf8" });
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /onPageStyles needs the "ui\.modify" permission/);
  assert.match(r.stderr, /onAuthCheck needs the "auth\.gate" permission/);
  fs.writeFileSync(path.join(dir, "plugin.manifest.json"), manifest({ permissions: ["ui.modify"] }));
  fs.writeFileSync(path.join(dir, "src/plugin.js"), 'const { definePlugin } = require("@owncast/plugin-sdk");\nmodule.exports = definePlugin({ onPageStyles() { return "body{}"; } });\n');
  const ok = spawnSync(process.execPath, [CLI, "build", dir, "--script"], { encoding: "utf8" });
  assert.strictEqual(ok.status, 0, ok.stderr);
  fs.rmSync(dir, { recursive: true, force: true });
});
