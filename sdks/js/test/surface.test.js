"use strict";
// The SDK's owncast.* surface against a recording fake of the Extism globals
// (Host, Memory, Http, Config): upstream's names and semantics, the
// deprecated aliases, timers, commands and escaping. No engine needed; the
// same runtime runs inside the engine (test/engine.test.js, examples/js).

const test = require("node:test");
const assert = require("node:assert");
const path = require("path");

const SDK = path.join(__dirname, "..", "index.js");

/**
 * A fresh copy of the runtime with fake globals. `impl[name](...args)` answers
 * host function `name`: strings come in decoded, return a string/object/bytes
 * (stored and returned as an offset), a number, or undefined.
 */
function fresh(impl, manifest) {
  const mem = new Map();
  let next = 1;
  const store = (bytes) => {
    const off = next++;
    mem.set(off, bytes);
    return off;
  };
  const calls = [];
  const handle = (off) => ({
    offset: off,
    readString: () => Buffer.from(mem.get(Number(off))).toString("utf8"),
    readBytes: () => {
      const b = mem.get(Number(off));
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    },
    free: () => mem.delete(Number(off)),
  });
  global.Memory = {
    fromString: (s) => handle(store(Buffer.from(s, "utf8"))),
    fromBuffer: (b) => handle(store(Buffer.from(b instanceof ArrayBuffer ? new Uint8Array(b) : b))),
    find: handle,
  };
  const fns = {};
  for (const name of Object.keys(impl)) {
    fns[name] = (...raw) => {
      const args = raw.map((a) => (typeof a === "number" && mem.has(a) ? Buffer.from(mem.get(a)).toString("utf8") : a));
      calls.push([name, ...args]);
      const r = impl[name](...args);
      if (r === undefined) return undefined;
      if (typeof r === "number" || typeof r === "bigint") return r;
      if (r instanceof Uint8Array) return store(Buffer.from(r));
      return store(Buffer.from(typeof r === "string" ? r : JSON.stringify(r), "utf8"));
    };
  }
  global.Host = { getFunctions: () => fns, inputString: () => "", outputString: () => {} };
  global.Config = { get: () => null };
  global.Http = {
    request: (req, body) => {
      calls.push(["http", req, body]);
      return { status: 200, headers: {}, body: "ok" };
    },
  };
  global.__OWNCAST_MANIFEST__ = manifest || null;
  delete require.cache[require.resolve(SDK)];
  const sdk = require(SDK);
  return { sdk, calls };
}

test.afterEach(() => {
  for (const g of ["Memory", "Host", "Config", "Http", "__OWNCAST_MANIFEST__", "__owncast_dispatch"]) delete global[g];
});

test("upstream names and the deprecated aliases are the same functions", () => {
  const { sdk } = fresh({});
  const o = sdk.owncast;
  assert.strictEqual(o.chat.sendSystem, o.chat.system);
  assert.strictEqual(o.chat.kickClient, o.chat.kick);
  assert.strictEqual(o.users.banIp, o.users.banIP);
  assert.strictEqual(o.server.streamCurrent, o.stream.current);
  assert.strictEqual(o.server.broadcaster, o.stream.broadcaster);
  assert.strictEqual(o.ui.addActions, o.actions.add);
  assert.strictEqual(o.ui.clearActions, o.actions.clear);
  for (const [alias, name] of Object.entries(sdk._internal.deprecated)) {
    const [a, f] = alias.split(".");
    const [b, g] = name.split(".");
    assert.strictEqual(typeof o[b][g], "function", name);
    assert.strictEqual(o[a][f], o[b][g], alias);
  }
  assert.strictEqual(sdk.FilterAction.Drop, "drop");
  assert.strictEqual(sdk.Events.ChatMessageReceived, "chat.message.received");
  assert.strictEqual(sdk.Permissions.StorageFS, "storage.fs");
});

test("host calls: upstream argument and result shapes", () => {
  const { sdk, calls } = fresh({
    owncast_fs_read: (p) => (p === "a.bin" ? new Uint8Array([0, 255, 1]) : p === "t.txt" ? "héllo" : 0),
    owncast_fs_write: () => ({ ok: true }),
    owncast_video_config_write: (c) => (JSON.parse(c).latencyLevel > 4 ? { ok: false, error: "latencyLevel must be 0-4" } : { ok: true }),
    owncast_notify_browser_push: () => undefined,
    owncast_notify_fediverse: () => undefined,
    owncast_stream_current: () => 0,
    owncast_stream_broadcaster: () => 0,
    owncast_send_chat_system: () => undefined,
    owncast_send_chat_to: () => undefined,
    owncast_kick_client: () => undefined,
    owncast_ban_ip: () => undefined,
    owncast_add_actions: () => ({ ok: true }),
    owncast_clear_actions: () => ({ ok: true }),
    owncast_chat_history: () => [],
  });
  const o = sdk.owncast;
  const bytes = o.fs.read("a.bin");
  assert.ok(bytes instanceof Uint8Array);
  assert.deepStrictEqual([...bytes], [0, 255, 1]);
  assert.strictEqual(o.fs.readText("t.txt"), "héllo");
  assert.strictEqual(o.fs.read("missing"), null);
  assert.strictEqual(o.fs.readText("missing"), null);
  assert.deepStrictEqual(o.fs.write("x", new Uint8Array([1])), { ok: true });

  o.videoConfig.write({ latencyLevel: 2 });
  assert.throws(() => o.videoConfig.write({ latencyLevel: 9 }), /latencyLevel must be 0-4/);

  o.notifications.browserPush("We're live");
  o.notifications.browserPush({ title: "t", body: "b", url: "https://x" });
  o.notifications.fediverse({ type: "follow", body: "hi", link: "https://l" });
  const pushes = calls.filter((c) => c[0] === "owncast_notify_browser_push").map((c) => JSON.parse(c[1]));
  assert.deepStrictEqual(pushes, [{ title: "We're live" }, { title: "t", body: "b", url: "https://x" }]);
  assert.deepStrictEqual(JSON.parse(calls.find((c) => c[0] === "owncast_notify_fediverse")[1]), {
    type: "follow",
    body: "hi",
    link: "https://l",
  });

  assert.deepStrictEqual(o.stream.current(), { online: false, viewers: 0 });
  assert.deepStrictEqual(o.stream.broadcaster(), {});

  o.chat.system("<b>hi</b>");
  o.chat.kick(7);
  o.users.banIP("10.0.0.1");
  assert.strictEqual(o.chat.replyTo({ clientId: 3 }, "psst"), true);
  assert.strictEqual(o.chat.replyTo({ body: "no client" }, "psst"), false);
  o.actions.add({ title: "Go", url: "/" });
  o.actions.clear();
  o.chat.history(0);
  assert.deepStrictEqual(
    calls.filter((c) => /system|kick|ban|send_chat_to|actions|history/.test(c[0])),
    [
      ["owncast_send_chat_system", "<b>hi</b>"],
      ["owncast_kick_client", 7n],
      ["owncast_ban_ip", "10.0.0.1"],
      ["owncast_send_chat_to", 3n, "psst"],
      ["owncast_add_actions", '[{"title":"Go","url":"/"}]'],
      ["owncast_clear_actions", 0n],
      ["owncast_chat_history", 50],
    ]
  );
});

test("http.fetch is GET unless a method is given", () => {
  const { sdk, calls } = fresh({});
  const r = sdk.owncast.http.fetch("https://api.example.com/a");
  assert.deepStrictEqual([r.status, r.body], [200, "ok"]);
  sdk.owncast.http.fetch("https://api.example.com/b", { body: "x" });
  sdk.owncast.http.fetch("https://api.example.com/c", { method: "post", body: "x" });
  assert.deepStrictEqual(
    calls.filter((c) => c[0] === "http").map((c) => [c[1].method, c[1].url]),
    [
      ["GET", "https://api.example.com/a"],
      ["GET", "https://api.example.com/b"],
      ["POST", "https://api.example.com/c"],
    ]
  );
});

test("permissions are checked against the manifest before the host is called", () => {
  const { sdk, calls } = fresh({ owncast_kv_get: () => "v" }, { permissions: [] });
  assert.throws(() => sdk.owncast.kv.get("k"), (e) => e.name === "PermissionError" && e.permission === "storage.kv");
  assert.throws(() => sdk.owncast.kv.getJSON("k"), /storage\.kv/);
  assert.deepStrictEqual(calls, []);
});

test("kv.getJSON / setJSON, config.get with a fallback", () => {
  const kv = {};
  const { sdk } = fresh({
    owncast_kv_get: (k) => (k in kv ? kv[k] : 0),
    owncast_kv_set: (k, v) => void (kv[k] = v),
    owncast_config_get: (k) => (k === "greeting" ? '"hi"' : 0),
  });
  const o = sdk.owncast;
  assert.strictEqual(o.kv.getJSON("n", 5), 5);
  o.kv.setJSON("n", { a: [1] });
  assert.deepStrictEqual(o.kv.getJSON("n"), { a: [1] });
  o.kv.set("bad", "{");
  assert.strictEqual(o.kv.getJSON("bad", "fb"), "fb");
  assert.strictEqual(o.config.get("greeting"), "hi");
  assert.strictEqual(o.config.get("other", 42), 42);
});

test("timers: the host schedules, timer.fire runs the callback in the instance", () => {
  const scheduled = [];
  const { sdk } = fresh({
    owncast_timer_set: (id, ms, repeat) => (scheduled.push([id, ms, repeat]), scheduled.length <= 2 ? 1 : 0),
    owncast_timer_clear: () => undefined,
  });
  const fired = [];
  sdk.definePlugin({});
  const once = sdk.owncast.timer.setTimeout(() => fired.push("once"), 1000);
  const every = sdk.owncast.timer.setInterval(() => fired.push("every"), 500);
  assert.deepStrictEqual(scheduled, [
    [1n, 1000n, 0],
    [2n, 500n, 1],
  ]);
  assert.throws(() => sdk.owncast.timer.setTimeout(() => {}, 1), /refused the timer/);
  const fire = (id) => global.__owncast_dispatch("on_event", JSON.stringify({ eventType: "timer.fire", payload: { id } }));
  fire(once);
  fire(once); // one-shot: gone after the first fire
  fire(every);
  fire(every);
  sdk.owncast.timer.clear(every);
  fire(every);
  assert.deepStrictEqual(fired, ["once", "every", "every"]);
});

test("commands: declared in register() as upstream, run from the host's chat.command", () => {
  const sent = [];
  const { sdk } = fresh({ owncast_send_chat: (t) => void sent.push(t), owncast_send_chat_to: (id, t) => void sent.push(`@${id} ${t}`) });
  sdk.definePlugin({
    commandPrefix: "?",
    commands: {
      dice: { aliases: ["roll"], cooldownMs: 10000, usage: "?dice <n>...", run: (c) => c.reply(`${c.user.displayName} rolls ${c.args.join("+")} as ${c.invokedAs}`) },
      clear: { modOnly: true, description: "Clear", run: (c) => c.replyPrivately(`cleared ${c.argString}`), onDenied: (c) => c.reply(`no ${c.command} for ${c.user.displayName}`) },
    },
    onUnknownCommand: (c) => c.reply(`no command ${c.command}`),
  });
  const d = global.__owncast_dispatch;
  const reg = JSON.parse(d("register", ""));
  assert.deepStrictEqual(reg.commands, [
    { name: "dice", prefix: "?", description: "", usage: "?dice <n>...", aliases: ["roll"], modOnly: false, caseSensitive: false, cooldownMs: 10000 },
    { name: "clear", prefix: "?", description: "Clear", usage: "", aliases: [], modOnly: true, caseSensitive: false, cooldownMs: 0 },
  ]);
  // onUnknownCommand needs every chat message; the commands themselves do not.
  assert.deepStrictEqual(reg.subscriptions.notify, [{ event: "chat.message.received" }]);
  const message = (user, body) => ({ id: "m", user: { id: user, displayName: user }, body, clientId: 9, timestamp: "2024-01-01T00:00:00Z" });
  const command = (name, invokedAs, args, user) =>
    d("on_event", JSON.stringify({ eventType: "chat.command", payload: { message: message(user, "?x"), command: name, invokedAs, args, argString: args.join(" ") } }));
  command("dice", "ROLL", ["1", "2"], "ann");
  command("clear", "clear", ["all", "of", "it"], "mod");
  command("gone", "gone", [], "ann"); // not declared: nothing runs
  const chat = (body) => d("on_event", JSON.stringify({ eventType: "chat.message.received", payload: message("bob", body) }));
  chat("?nope a b");
  chat("?Roll 3"); // a command (the host runs it): not unknown
  chat("?CLEAR"); // mod-only from a viewer: onDenied
  chat("plain text");
  assert.deepStrictEqual(sent, ["ann rolls 1+2 as ROLL", "@9 cleared all of it", "no command nope", "no clear for bob"]);
});

test("commands: refusals are the host's, silent as upstream", () => {
  const { sdk } = fresh({});
  assert.throws(
    () => sdk.definePlugin({ commands: { clear: { cooldownMs: 5, run() {}, onCooldown() {} } } }),
    /command "clear": onCooldown is not available here/
  );
  const { sdk: again } = fresh({});
  again.definePlugin({ commands: { hi: { run() {} } } });
  const reg = JSON.parse(global.__owncast_dispatch("register", ""));
  assert.deepStrictEqual(reg.subscriptions.notify, [], "no chat subscription for commands alone");
  assert.strictEqual(reg.commands[0].prefix, "!");
});

test("definePlugin returns the definition, with the Extism exports attached", () => {
  const { sdk } = fresh({});
  const def = { onChatMessage() {}, title: "data is fine" };
  const out = sdk.definePlugin(def);
  assert.strictEqual(out, def);
  assert.strictEqual(typeof out.on_event, "function");
  assert.deepStrictEqual(Object.keys(out), ["onChatMessage", "title"]);
});

test("content and auth-check exports", () => {
  const { sdk } = fresh({});
  sdk.definePlugin({
    onTabContent: (req) => `<p>${sdk.escapeHtml(req.slug)}</p>`,
    onPageStyles: () => undefined,
    onAuthCheck: (req) => (req.user ? sdk.authCheck.refresh({ ttl: 60 }) : sdk.authCheck.deny("gone")),
  });
  const d = global.__owncast_dispatch;
  assert.strictEqual(d("on_tab_content", JSON.stringify({ slug: "<x>" })), "<p>&lt;x&gt;</p>");
  assert.strictEqual(d("on_page_styles", ""), "");
  assert.strictEqual(d("on_page_scripts", ""), "");
  assert.deepStrictEqual(JSON.parse(d("on_auth_check", JSON.stringify({ user: { id: "u" } }))), { action: "refresh", ttl: 60 });
  assert.deepStrictEqual(JSON.parse(d("on_auth_check", "{}")), { action: "deny", reason: "gone" });
  assert.deepStrictEqual(JSON.parse(d("on_http_request", "{}")), { status: 404, headers: {}, body: "" });
});

test("escapeHtml and the html tag", () => {
  const { sdk } = fresh({});
  assert.strictEqual(sdk.escapeHtml(`<img src=x onerror="a('b')">&\``), "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;&#96;");
  assert.strictEqual(sdk.escapeHtml(null), "");
  const name = "<script>";
  assert.strictEqual(sdk.html`<b>${name}</b> ${3}`, "<b>&lt;script&gt;</b> 3");
});

test("sql, users.register, auth, assets, emotes: upstream's request and result shapes", () => {
  const { sdk, calls } = fresh({
    owncast_sql_exec: (req) => (JSON.parse(req).sql.startsWith("bad") ? { error: "near bad: syntax error" } : { rowsAffected: 1 }),
    owncast_sql_query: () => ({ columns: ["name", "n"], rows: [["ann", 2], ["bo", 1]] }),
    owncast_users_register: (req) => (JSON.parse(req).authId === "gh:1" ? { userId: "u-1" } : { error: "refused" }),
    owncast_auth_grant_session: () => ({}),
    owncast_auth_end_session: () => undefined,
    owncast_asset_read: (p) => (p === "t.html" ? "<p>x</p>" : 0),
    owncast_server_emotes: () => [{ name: "wave", url: "/e/wave.gif" }],
  });
  const o = sdk.owncast;
  assert.deepStrictEqual(o.sql.exec("INSERT INTO t VALUES (?)", [1]), { rowsAffected: 1 });
  assert.throws(() => o.sql.exec("bad sql"), /near bad: syntax error/);
  assert.deepStrictEqual(o.sql.query("SELECT name, n FROM t"), [{ name: "ann", n: 2 }, { name: "bo", n: 1 }]);
  assert.deepStrictEqual(o.sql.queryRow("SELECT name, n FROM t WHERE n > ?", [1]), { name: "ann", n: 2 });
  assert.deepStrictEqual(
    calls.filter((c) => c[0].startsWith("owncast_sql")).map((c) => [c[0], JSON.parse(c[1])]),
    [
      ["owncast_sql_exec", { sql: "INSERT INTO t VALUES (?)", params: [1] }],
      ["owncast_sql_exec", { sql: "bad sql", params: [] }],
      ["owncast_sql_query", { sql: "SELECT name, n FROM t", params: [] }],
      ["owncast_sql_query", { sql: "SELECT name, n FROM t WHERE n > ?", params: [1], maxRows: 1 }],
    ]
  );
  assert.deepStrictEqual(o.users.register("gh:1"), { userId: "u-1" });
  assert.throws(() => o.users.register({ authId: "x" }), /refused/);
  o.auth.grantSession("u-1");
  o.auth.endSession();
  assert.deepStrictEqual(JSON.parse(calls.find((c) => c[0] === "owncast_auth_grant_session")[1]), { userId: "u-1" });
  assert.strictEqual(o.assets.readText("t.html"), "<p>x</p>");
  assert.deepStrictEqual([...o.assets.read("t.html")].length, 8);
  assert.strictEqual(o.assets.read("missing"), null);
  assert.deepStrictEqual(o.server.emotes(), [{ name: "wave", url: "/e/wave.gif" }]);
});

test("log.info/warning/error: upstream's owncast_log_* when imported, else the console", () => {
  const { sdk, calls } = fresh({ owncast_log_info: () => undefined, owncast_log_warning: () => undefined, owncast_log_error: () => undefined });
  const log = sdk.owncast.log;
  log.info("hello", { n: 1 }, 2);
  log.warning("careful");
  log.warn("the alias");
  log.error(new TypeError("bad"));
  assert.deepStrictEqual(calls.slice(0, 3), [
    ["owncast_log_info", 'hello {"n":1} 2'],
    ["owncast_log_warning", "careful"],
    ["owncast_log_warning", "the alias"],
  ]);
  assert.strictEqual(calls[3][0], "owncast_log_error");
  assert.match(calls[3][1], /^TypeError: bad/);

  const { sdk: older, calls: none } = fresh({});
  const seen = [];
  const saved = { info: console.info, warn: console.warn, error: console.error };
  for (const level of Object.keys(saved)) console[level] = (...a) => seen.push([level, ...a]);
  try {
    older.owncast.log.info("a", 1);
    older.owncast.log.warning("b");
    older.owncast.log.error("c");
  } finally {
    Object.assign(console, saved);
  }
  assert.deepStrictEqual(seen, [["info", "a", 1], ["warn", "b"], ["error", "c"]]);
  assert.deepStrictEqual(none, []);
});

test("a host call the engine does not import says so, naming the function", () => {
  const { sdk } = fresh({});
  assert.throws(() => sdk.owncast.sql.query("SELECT 1"), /owncast\.sql\.query: host function owncast_sql_query is not imported/);
  assert.throws(() => sdk.owncast.timer.setTimeout(() => {}, 10), /owncast_timer_set is not imported/);
});
