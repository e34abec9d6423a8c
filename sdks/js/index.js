"use strict";
// @owncast/plugin-sdk runtime.
//
// Runs inside the plugin's WebAssembly module: on the Owncast QuickJS engine
// (sdks/js/engine) or on extism-js. Both provide the extism-js globals used
// here: Host, Memory, Config, Var, Http, console.
//
//   const { definePlugin, owncast, filter } = require("@owncast/plugin-sdk");
//   module.exports = definePlugin({
//     onChatMessage(msg) { owncast.chat.send(`echo: ${msg.body}`); },
//     filterChatMessage(msg) { return msg.body.includes("spam") ? filter.drop("spam") : filter.pass(); },
//     on: { "announcement.broadcast"(payload) { console.log(payload.text); } },
//   });

var G = typeof globalThis !== "undefined" ? globalThis : this;

/**
 * JSON.stringify(value) for the answers to the host: on the Owncast QuickJS
 * engine its native version (same text, faster for plain data), elsewhere
 * JSON.stringify itself.
 */
var toJson =
  G.__owncast_engine && typeof G.__owncast_engine.jsonStringify === "function"
    ? G.__owncast_engine.jsonStringify
    : JSON.stringify;
/**
 * On the Owncast engine the dispatcher may answer with a plain object: the
 * engine writes it out as JSON itself (natively, straight into the output),
 * where a string would be copied into JS, concatenated and converted back.
 */
var engineWritesJson = toJson !== JSON.stringify;
/** JSON.parse(text) for the host's input, the same way (the engine's native version). */
var fromJson =
  G.__owncast_engine && typeof G.__owncast_engine.jsonParse === "function" ? G.__owncast_engine.jsonParse : JSON.parse;
// The Owncast engine's host functions take strings for offsets, and its
// takeString reads and frees a returned block in one native call; under
// extism-js, strings go through Memory as Extism's PDK does.
var hostStrings = !!(G.__owncast_engine && G.__owncast_engine.hostStrings === true);
var takeString =
  G.__owncast_engine && typeof G.__owncast_engine.takeString === "function" ? G.__owncast_engine.takeString : null;

// ---------------------------------------------------------------------------
// Constants (upstream's names: Events, Permissions, FilterAction)

var freeze = Object.freeze || function (o) {
  return o;
};

/** Built-in event types by name. */
var Events = freeze({
  ChatMessageReceived: "chat.message.received",
  ChatUserJoined: "chat.user.joined",
  ChatUserParted: "chat.user.parted",
  ChatUserRenamed: "chat.user.renamed",
  ChatMessageModerated: "chat.message.moderated",
  StreamStarted: "stream.started",
  StreamStopped: "stream.stopped",
  StreamTitleChanged: "stream.title.changed",
  SseConnect: "sse.connect",
  SseDisconnect: "sse.disconnect",
  Tick: "tick",
  FediverseActivity: "fediverse.activity",
  FediverseFollow: "fediverse.follow",
  FediverseLike: "fediverse.like",
  FediverseRepost: "fediverse.repost",
  FediverseQuote: "fediverse.quote",
  FediverseMention: "fediverse.mention",
  FediverseReply: "fediverse.reply",
});

/** Manifest permission strings by name. */
var Permissions = freeze({
  ChatSend: "chat.send",
  ChatHistory: "chat.history",
  ChatModerate: "chat.moderate",
  ChatFilter: "chat.filter",
  StorageKV: "storage.kv",
  StorageUpload: "storage.upload",
  StorageFS: "storage.fs",
  StorageSQL: "storage.sql",
  EventsEmit: "events.emit",
  NetworkFetch: "network.fetch",
  HttpServe: "http.serve",
  ServerRead: "server.read",
  NotificationsSend: "notifications.send",
  UsersRead: "users.read",
  UsersModerate: "users.moderate",
  UsersRegister: "users.register",
  AuthGate: "auth.gate",
  FediversePost: "fediverse.post",
  FediverseInbound: "fediverse.inbound",
  HttpSSE: "http.sse",
  VideoConfigRead: "videoconfig.read",
  VideoConfigWrite: "videoconfig.write",
  UIModify: "ui.modify",
});

/** The `action` of a filter result. */
var FilterAction = freeze({ Pass: "pass", Modify: "modify", Drop: "drop" });

// ---------------------------------------------------------------------------
// Handler names

/** Notification/filter handler name -> [kind, event type]. */
var EVENT_HANDLERS = {
  onChatMessage: ["notify", Events.ChatMessageReceived],
  filterChatMessage: ["filter", Events.ChatMessageReceived],
  onChatUserJoined: ["notify", Events.ChatUserJoined],
  onChatUserParted: ["notify", Events.ChatUserParted],
  onChatUserRenamed: ["notify", Events.ChatUserRenamed],
  onMessageModerated: ["notify", Events.ChatMessageModerated],
  onStreamStarted: ["notify", Events.StreamStarted],
  onStreamStopped: ["notify", Events.StreamStopped],
  onStreamTitleChanged: ["notify", Events.StreamTitleChanged],
  onSseConnect: ["notify", Events.SseConnect],
  onSseDisconnect: ["notify", Events.SseDisconnect],
  onTick: ["notify", Events.Tick],
  onFediverse: ["notify", Events.FediverseActivity],
  onFediverseFollow: ["notify", Events.FediverseFollow],
  onFediverseLike: ["notify", Events.FediverseLike],
  onFediverseRepost: ["notify", Events.FediverseRepost],
  onFediverseQuote: ["notify", Events.FediverseQuote],
  onFediverseMention: ["notify", Events.FediverseMention],
  onFediverseReply: ["notify", Events.FediverseReply],
};

/**
 * Handlers answered through their own export (not events): name -> export.
 * The host calls `on_tab_content` etc. when the manifest or the plugin's
 * permissions make it a contributor.
 */
var EXPORT_HANDLERS = {
  onHttpRequest: "on_http_request",
  onAuthCheck: "on_auth_check",
  onTabContent: "on_tab_content",
  onPageContent: "on_page_content",
  onPageStyles: "on_page_styles",
  onPageScripts: "on_page_scripts",
};

/** Other keys definePlugin understands, with the type each must have. */
var SETTINGS = {
  on: "object",
  commands: "object",
  commandPrefix: "string",
  commandsCaseSensitive: "boolean",
  onUnknownCommand: "function",
  filterPriority: "number",
};

var HANDLER_NAMES = Object.keys(EVENT_HANDLERS).concat(Object.keys(EXPORT_HANDLERS), ["onUnknownCommand"]);
var VALID_KEYS = Object.keys(EVENT_HANDLERS).concat(Object.keys(EXPORT_HANDLERS), Object.keys(SETTINGS));

// Every built-in event has a handler; the list follows from the table (and
// test/sdk.test.js checks it against the types generated from wit/).
var BUILTIN_EVENTS = [];
Object.keys(EVENT_HANDLERS).forEach(function (k) {
  var t = EVENT_HANDLERS[k][1];
  if (BUILTIN_EVENTS.indexOf(t) < 0) BUILTIN_EVENTS.push(t);
});

// Handler names by event type, in EVENT_HANDLERS order, for filters and for
// notifications: a call looks up its event's handlers instead of walking the
// whole table. No prototype, so any event type string is just a missing key.
var FILTER_HANDLERS = Object.create(null);
var NOTIFY_HANDLERS = Object.create(null);
var NO_HANDLERS = freeze([]);
Object.keys(EVENT_HANDLERS).forEach(function (k) {
  var byType = EVENT_HANDLERS[k][0] === "filter" ? FILTER_HANDLERS : NOTIFY_HANDLERS;
  var t = EVENT_HANDLERS[k][1];
  (byType[t] = byType[t] || []).push(k);
});

/** Events the host sends for the SDK's own machinery, never to `on`. */
var INTERNAL_EVENTS = { timerFire: "timer.fire", chatCommand: "chat.command" };

function editDistance(a, b) {
  a = a.toLowerCase();
  b = b.toLowerCase();
  var prev = [];
  for (var j = 0; j <= b.length; j++) prev[j] = j;
  for (var i = 1; i <= a.length; i++) {
    var cur = [i];
    for (var k = 1; k <= b.length; k++) {
      var cost = a.charCodeAt(i - 1) === b.charCodeAt(k - 1) ? 0 : 1;
      cur[k] = Math.min(prev[k] + 1, cur[k - 1] + 1, prev[k - 1] + cost);
    }
    prev = cur;
  }
  return prev[b.length];
}

function closest(name, candidates) {
  var best = null;
  var bestD = Infinity;
  for (var i = 0; i < candidates.length; i++) {
    var d = editDistance(name, candidates[i]);
    if (d < bestD) {
      bestD = d;
      best = candidates[i];
    }
  }
  // Only suggest when it is plausibly a typo.
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

// ---------------------------------------------------------------------------
// Errors

/** Thrown when the manifest lacks the permission an owncast.* call needs. */
function PermissionError(permission, api) {
  var e = new Error(
    api + ' needs the "' + permission + '" permission: add it to "permissions" in plugin.manifest.json'
  );
  if (Object.setPrototypeOf) Object.setPrototypeOf(e, PermissionError.prototype);
  e.permission = permission;
  return e;
}
PermissionError.prototype = Object.create(Error.prototype, {
  constructor: { value: PermissionError, writable: true, configurable: true },
  name: { value: "PermissionError", writable: true, configurable: true },
});

// ---------------------------------------------------------------------------
// Manifest: from Extism config `manifest` (shared engine), else the one
// `owncast-plugin build` inlined as globalThis.__OWNCAST_MANIFEST__.

var manifestCache;
function getManifest() {
  if (manifestCache !== undefined) return manifestCache;
  var m = null;
  if (typeof Config !== "undefined" && !G.__owncast_preinit) {
    var raw = Config.get("manifest");
    if (raw) {
      try {
        m = JSON.parse(raw);
      } catch (e) {
        throw new Error("Extism config `manifest` is not valid JSON: " + e.message);
      }
    }
  }
  if (!m && G.__OWNCAST_MANIFEST__) m = G.__OWNCAST_MANIFEST__;
  if (G.__owncast_preinit) return m; // do not cache before config is readable
  manifestCache = m;
  return m;
}

function hasPermission(perm) {
  var m = getManifest();
  if (!m) return true; // unknown manifest: the host enforces the grant
  return Array.isArray(m.permissions) && m.permissions.indexOf(perm) !== -1;
}

function need(perm, api) {
  if (!hasPermission(perm)) throw PermissionError(perm, api);
}

// ---------------------------------------------------------------------------
// Host calls

var hostFunctions = null;
function hostFn(name, api) {
  if (G.__owncast_preinit) {
    throw new Error(
      api + " cannot run while the plugin script is being loaded (top-level code): call it from a handler"
    );
  }
  if (typeof Host === "undefined") {
    throw new Error(api + " is only available inside an Owncast plugin (no Extism Host global)");
  }
  if (!hostFunctions) hostFunctions = Host.getFunctions() || {};
  var f = hostFunctions[name];
  if (typeof f !== "function") {
    throw new Error(
      api + ": host function " + name + " is not imported by this module" +
        " (extism-js builds must declare it in the plugin's interface file)"
    );
  }
  return f;
}

function isBytes(v) {
  return v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

function asText(v) {
  if (typeof v === "string") return v;
  if (v === undefined) return "null";
  var s = JSON.stringify(v);
  return s === undefined ? String(v) : s;
}

/**
 * Calls host function `name` after checking `perm` (null: ambient, none needed). String arguments are
 * copied into Extism memory (and freed after the call); numbers pass as is.
 */
function call(perm, api, name, args) {
  if (perm) need(perm, api);
  var f = hostFn(name, api);
  var handles = [];
  var raw = [];
  for (var i = 0; i < args.length; i++) {
    var a = args[i];
    if (hostStrings && typeof a === "string") {
      raw.push(a);
    } else if (typeof a === "string" || isBytes(a)) {
      var h = typeof a === "string" ? Memory.fromString(a) : Memory.fromBuffer(a);
      handles.push(h);
      raw.push(h.offset);
    } else {
      raw.push(a);
    }
  }
  // Without blocks to free (strings passed as they are), no try/finally:
  // the message counter's on_event runs ~1,000 fewer instructions (0.6%).
  if (!handles.length) return f.apply(null, raw);
  try {
    return f.apply(null, raw);
  } finally {
    for (var k = 0; k < handles.length; k++) {
      if (Number(handles[k].offset) !== 0) handles[k].free();
    }
  }
}

/** Frees a returned offset the caller does not read (an operation's `{}`/`{error}`). */
function discard(off) {
  if (off === undefined || off === null || Number(off) === 0) return;
  if (takeString) takeString(off);
  else Memory.find(off).free();
}

/** Reads (and frees) a returned offset as a string; 0 means none (null). */
function readString(off) {
  if (off === undefined || off === null || Number(off) === 0) return null;
  if (takeString) return takeString(off);
  var h = Memory.find(off);
  var s = h.readString();
  h.free();
  return s;
}

function readJson(off) {
  var s = readString(off);
  if (s === null || s === "") return null;
  try {
    return JSON.parse(s);
  } catch (e) {
    return s;
  }
}

function logger(level) {
  return function () {
    return console[level].apply(console, arguments);
  };
}

/** Whether the engine imports host function `name` (false while the script loads). */
function imported(name) {
  if (G.__owncast_preinit || typeof Host === "undefined") return false;
  if (!hostFunctions) hostFunctions = Host.getFunctions() || {};
  return typeof hostFunctions[name] === "function";
}

/** console-style arguments as one log line: strings as they are, errors by their stack, the rest as JSON. */
function logLine(args) {
  return Array.prototype.map
    .call(args, function (a) {
      if (typeof a === "string") return a;
      if (a instanceof Error) return a.stack || a.name + ": " + a.message;
      try {
        var s = JSON.stringify(a);
        return s === undefined ? String(a) : s;
      } catch (e) {
        return String(a);
      }
    })
    .join(" ");
}

/** Reads (and frees) a returned offset as bytes (Uint8Array); 0 means none (null). */
function readBytes(off) {
  if (off === undefined || off === null || Number(off) === 0) return null;
  var h = Memory.find(off);
  var b = h.readBytes();
  h.free();
  return new Uint8Array(b);
}

/**
 * The `{ok, error?}` a host call returned (write, delete, ...). A missing
 * result or one that is not an object reads as `{ok: false, error: fallback}`.
 */
function opResult(off, fallback) {
  var r = readJson(off);
  if (!r || typeof r !== "object" || Array.isArray(r)) return { ok: false, error: fallback };
  if (r.ok === undefined) r.ok = !r.error;
  return r;
}

/** Like opResult, but a failure is thrown as an Error with the host's message. */
function requireOk(off, fallback) {
  var r = opResult(off, fallback);
  if (r.ok === false || (r.error !== undefined && r.error !== null && r.error !== "")) {
    throw new Error(r.error || fallback);
  }
  return r;
}

/** A typed config value from its raw text, following the manifest's declared type. */
function typedConfig(spec, raw) {
  var type = spec && spec.type ? String(spec.type).toLowerCase() : "string";
  switch (type) {
    case "number":
    case "integer":
    case "float":
      return Number(raw);
    case "boolean":
    case "bool":
      return raw === "true" || raw === "1" || raw === "yes" || raw === "on";
    case "json":
    case "object":
    case "array":
      try {
        return JSON.parse(raw);
      } catch (e) {
        return raw;
      }
    default:
      return raw;
  }
}

/**
 * An admin-set config value: through the host's `owncast_config_get` (JSON
 * text) when the engine imports it, else from Extism config typed by the
 * manifest's `config` schema; `fallback` when the key has no value.
 */
function configValue(key, fallback) {
  key = String(key);
  if (key.indexOf("__") === 0) {
    throw new Error('owncast.config.get("' + key + '"): keys starting with "__" are reserved for the host');
  }
  var value = null;
  if (imported("owncast_config_get")) {
    value = readJson(call(null, "owncast.config.get", "owncast_config_get", [key]));
  } else {
    var m = getManifest();
    var spec = m && m.config && Object.prototype.hasOwnProperty.call(m.config, key) ? m.config[key] : null;
    var raw = typeof Config !== "undefined" ? Config.get(key) : null;
    if (raw === null || raw === undefined) value = spec && spec.default !== undefined ? spec.default : null;
    else value = typedConfig(spec, raw);
  }
  return value === null || value === undefined ? fallback : value;
}

/** Synchronous outbound HTTP: GET unless `opts.method` says otherwise. */
function fetchImpl(url, opts) {
  need("network.fetch", "owncast.http.fetch");
  if (typeof Http === "undefined") throw new Error("owncast.http.fetch: no Http global in this engine");
  opts = opts || {};
  var headers = {};
  var h = opts.headers || {};
  for (var k in h) if (Object.prototype.hasOwnProperty.call(h, k)) headers[k] = String(h[k]);
  var body = opts.body;
  if (body !== undefined && body !== null && typeof body !== "string" && !isBytes(body)) {
    body = JSON.stringify(body);
    if (!hasHeader(headers, "content-type")) headers["content-type"] = "application/json";
  }
  var method = String(opts.method || "GET").toUpperCase();
  var res = Http.request({ url: String(url), method: method, headers: headers }, body === null ? undefined : body);
  var text = res.body === undefined || res.body === null ? "" : String(res.body);
  return {
    status: res.status,
    ok: res.status >= 200 && res.status < 300,
    headers: res.headers || {},
    body: text,
    text: function () {
      return text;
    },
    json: function () {
      return JSON.parse(text);
    },
  };
}

function hasHeader(headers, name) {
  for (var k in headers) if (k.toLowerCase() === name) return true;
  return false;
}

// Timers: the host schedules, the callbacks stay in this instance, keyed by
// an id the host echoes back in a `timer.fire` event (upstream's protocol:
// owncast_timer_set(id, delayMs, repeat) -> 1 when scheduled).
var nextTimerId = 1;
var timers = {};

function scheduleTimer(fn, ms, repeat, api) {
  if (typeof fn !== "function") throw new TypeError(api + "(fn, ms): fn must be a function");
  var id = nextTimerId++;
  var delay = Math.max(0, Math.floor(Number(ms) || 0));
  var ok = call(null, api, "owncast_timer_set", [BigInt(id), BigInt(delay), repeat ? 1 : 0]);
  if (Number(ok) !== 1) throw new Error(api + ": the host refused the timer (too many pending timers)");
  timers[id] = { fn: fn, repeat: !!repeat };
  return id;
}

function fireTimer(payload) {
  var id = payload && payload.id;
  var t = timers[id];
  if (!t) return undefined;
  if (!t.repeat) delete timers[id];
  return t.fn();
}

function sqlRequest(sql, params, maxRows) {
  var req = { sql: String(sql), params: params ? Array.prototype.slice.call(params) : [] };
  if (maxRows) req.maxRows = maxRows;
  return JSON.stringify(req);
}

/** Rows of a `{columns, rows}` query result as objects keyed by column. */
function sqlRows(r, api) {
  if (!r || !Array.isArray(r.columns) || !Array.isArray(r.rows)) {
    throw new Error(api + ": the host returned no {columns, rows} result");
  }
  return r.rows.map(function (values) {
    var row = {};
    for (var i = 0; i < r.columns.length; i++) row[r.columns[i]] = values[i];
    return row;
  });
}

function sqlCall(perm, api, name, sql, params, maxRows) {
  var r = readJson(call(perm, api, name, [sqlRequest(sql, params, maxRows)]));
  if (!r || typeof r !== "object") throw new Error(api + " failed");
  if (r.error) throw new Error(r.error);
  return r;
}

function jsonCall(perm, api, name, arg) {
  var r = readJson(call(perm, api, name, [JSON.stringify(arg)]));
  if (!r || typeof r !== "object") throw new Error(api + " failed");
  if (r.error) throw new Error(r.error);
  return r;
}

function uploadData(data) {
  return isBytes(data) ? data : asText(data);
}

var owncast = {
  chat: {
    /** Sends a chat message as the plugin's bot. */
    send: function (text) {
      call("chat.send", "owncast.chat.send", "owncast_send_chat", [asText(text)]);
    },
    /** Sends an action message ("/me" style). */
    sendAction: function (text) {
      call("chat.send", "owncast.chat.sendAction", "owncast_send_chat_action", [asText(text)]);
    },
    /** Sends a system message (HTML body, no user): escape what you did not write (escapeHtml). */
    system: function (html) {
      call("chat.send", "owncast.chat.system", "owncast_send_chat_system", [asText(html)]);
    },
    /** Sends a message to one chat client. */
    sendTo: function (clientId, text) {
      call("chat.send", "owncast.chat.sendTo", "owncast_send_chat_to", [BigInt(clientId), asText(text)]);
    },
    /**
     * Whispers to the sender of a chat message (or a client id); false when
     * the sender's connection is unknown, so the caller can answer in public.
     */
    replyTo: function (msgOrClientId, text) {
      var id = msgOrClientId && typeof msgOrClientId === "object" ? msgOrClientId.clientId : msgOrClientId;
      if (id === undefined || id === null) return false;
      call("chat.send", "owncast.chat.replyTo", "owncast_send_chat_to", [BigInt(id), asText(text)]);
      return true;
    },
    /** The last `limit` chat messages (default 50). */
    history: function (limit) {
      var n = limit === undefined || limit === null || !(limit > 0) ? 50 : limit | 0;
      return readJson(call("chat.history", "owncast.chat.history", "owncast_chat_history", [n])) || [];
    },
    /** Connected chat clients. */
    clients: function () {
      return readJson(call("chat.history", "owncast.chat.clients", "owncast_chat_clients", [])) || [];
    },
    deleteMessage: function (messageId) {
      discard(call("chat.moderate", "owncast.chat.deleteMessage", "owncast_delete_message", [String(messageId)]));
    },
    /** Disconnects a chat client. */
    kick: function (clientId) {
      discard(call("chat.moderate", "owncast.chat.kick", "owncast_kick_client", [BigInt(clientId)]));
    },
  },
  kv: {
    /** The stored string, or null. */
    get: function (key) {
      return readString(call("storage.kv", "owncast.kv.get", "owncast_kv_get", [String(key)]));
    },
    /** Stores a string (other values are stored as JSON). */
    set: function (key, value) {
      discard(call("storage.kv", "owncast.kv.set", "owncast_kv_set", [String(key), asText(value)]));
    },
    /** The stored JSON value, or `fallback` when unset or not JSON. */
    getJSON: function (key, fallback) {
      var raw = readString(call("storage.kv", "owncast.kv.getJSON", "owncast_kv_get", [String(key)]));
      if (raw === null || raw === "") return fallback;
      try {
        return JSON.parse(raw);
      } catch (e) {
        return fallback;
      }
    },
    setJSON: function (key, value) {
      discard(call("storage.kv", "owncast.kv.setJSON", "owncast_kv_set", [String(key), JSON.stringify(value)]));
    },
  },
  storage: {
    /** Uploads a file; returns `{url}`, or null when the host refused it. */
    upload: function (name, data) {
      return readJson(
        call("storage.upload", "owncast.storage.upload", "owncast_storage_upload", [String(name), uploadData(data)])
      );
    },
  },
  fs: {
    /** File contents as bytes (Uint8Array), or null when missing. */
    read: function (path) {
      return readBytes(call("storage.fs", "owncast.fs.read", "owncast_fs_read", [String(path)]));
    },
    /** File contents as UTF-8 text, or null when missing. */
    readText: function (path) {
      return readString(call("storage.fs", "owncast.fs.readText", "owncast_fs_read", [String(path)]));
    },
    /** Returns `{ok, error?}`. */
    write: function (path, data) {
      return opResult(call("storage.fs", "owncast.fs.write", "owncast_fs_write", [String(path), uploadData(data)]), "write failed");
    },
    /** Entry names in a directory of the plugin's data directory (missing: empty). */
    list: function (path) {
      return readJson(call("storage.fs", "owncast.fs.list", "owncast_fs_list", [String(path === undefined || path === null ? "" : path)])) || [];
    },
    /** Returns `{ok, error?}`. */
    delete: function (path) {
      return opResult(call("storage.fs", "owncast.fs.delete", "owncast_fs_delete", [String(path)]), "delete failed");
    },
    exists: function (path) {
      return Number(call("storage.fs", "owncast.fs.exists", "owncast_fs_exists", [String(path)])) === 1;
    },
  },
  sql: {
    /** Runs a statement; returns the host's result (e.g. `{rowsAffected, lastInsertId}`). */
    exec: function (sql, params) {
      return sqlCall("storage.sql", "owncast.sql.exec", "owncast_sql_exec", sql, params);
    },
    /** Rows as objects keyed by column name. */
    query: function (sql, params) {
      return sqlRows(sqlCall("storage.sql", "owncast.sql.query", "owncast_sql_query", sql, params), "owncast.sql.query");
    },
    /** The first row, or null. */
    queryRow: function (sql, params) {
      return sqlRows(sqlCall("storage.sql", "owncast.sql.queryRow", "owncast_sql_query", sql, params, 1), "owncast.sql.queryRow")[0] || null;
    },
  },
  events: {
    /** Emits a custom event other plugins receive through `on: {type() {}}`. */
    emit: function (type, payload) {
      call("events.emit", "owncast.events.emit", "owncast_emit_event", [
        String(type),
        asText(payload === undefined ? null : payload),
      ]);
    },
  },
  stream: {
    /** The live stream: `{online, title, viewers, ...}`. */
    current: function () {
      return readJson(call("server.read", "owncast.stream.current", "owncast_stream_current", [])) || { online: false, viewers: 0 };
    },
    /** The connected streaming software; `{}` when none. */
    broadcaster: function () {
      return readJson(call("server.read", "owncast.stream.broadcaster", "owncast_stream_broadcaster", [])) || {};
    },
  },
  server: {
    info: function () {
      return readJson(call("server.read", "owncast.server.info", "owncast_server_info", [])) || {};
    },
    socials: function () {
      return readJson(call("server.read", "owncast.server.socials", "owncast_server_socials", [])) || [];
    },
    emotes: function () {
      return readJson(call("server.read", "owncast.server.emotes", "owncast_server_emotes", [])) || [];
    },
    federation: function () {
      return readJson(call("server.read", "owncast.server.federation", "owncast_server_federation", [])) || { enabled: false };
    },
    tags: function () {
      return readJson(call("server.read", "owncast.server.tags", "owncast_server_tags", [])) || [];
    },
  },
  videoConfig: {
    read: function () {
      return readJson(call("videoconfig.read", "owncast.videoConfig.read", "owncast_video_config_read", []));
    },
    /** Applies a partial update; throws with the host's reason when it is refused. */
    write: function (config) {
      requireOk(
        call("videoconfig.write", "owncast.videoConfig.write", "owncast_video_config_write", [asText(config || {})]),
        "videoConfig.write failed"
      );
    },
  },
  notifications: {
    discord: function (message) {
      call("notifications.send", "owncast.notifications.discord", "owncast_notify_discord", [asText(message)]);
    },
    /** A string is the title: `browserPush("Live!")` = `browserPush({title: "Live!"})`. */
    browserPush: function (payload) {
      var push = typeof payload === "string" ? { title: payload } : payload;
      call("notifications.send", "owncast.notifications.browserPush", "owncast_notify_browser_push", [
        JSON.stringify(push),
      ]);
    },
    /** `{type, body, image?, link?}`. */
    fediverse: function (payload) {
      call("notifications.send", "owncast.notifications.fediverse", "owncast_notify_fediverse", [asText(payload)]);
    },
  },
  users: {
    list: function () {
      return readJson(call("users.read", "owncast.users.list", "owncast_users_list", [])) || [];
    },
    get: function (id) {
      return readJson(call("users.read", "owncast.users.get", "owncast_user_get", [String(id)]));
    },
    setEnabled: function (id, enabled, reason) {
      discard(
        call("users.moderate", "owncast.users.setEnabled", "owncast_user_set_enabled", [
          String(id),
          enabled ? 1 : 0,
          reason === undefined || reason === null ? "" : String(reason),
        ])
      );
    },
    banIP: function (ip) {
      discard(call("users.moderate", "owncast.users.banIP", "owncast_ban_ip", [String(ip)]));
    },
    /** Finds or creates the user for an external identity; returns `{userId}`. */
    register: function (opts) {
      var req = typeof opts === "string" ? { authId: opts } : opts || {};
      return jsonCall("users.register", "owncast.users.register", "owncast_users_register", req);
    },
  },
  auth: {
    /** Gives the requesting viewer a session for a registered user (inside onHttpRequest). */
    grantSession: function (opts) {
      var req = typeof opts === "string" ? { userId: opts } : opts || {};
      jsonCall("auth.gate", "owncast.auth.grantSession", "owncast_auth_grant_session", req);
    },
    /** Ends the requesting viewer's session (logout). */
    endSession: function () {
      call("auth.gate", "owncast.auth.endSession", "owncast_auth_end_session", []);
    },
  },
  fediverse: {
    /** Publishes a post; returns `{url}`, or null when refused. */
    post: function (text) {
      return readJson(call("fediverse.post", "owncast.fediverse.post", "owncast_fediverse_post", [asText(text)]));
    },
  },
  sse: {
    /** Sends an event to clients of /plugins/<slug>/_sse/<channel> ("" = "message"). */
    send: function (channel, event, data) {
      call("http.sse", "owncast.sse.send", "owncast_sse_send", [
        String(channel === undefined || channel === null ? "" : channel),
        String(event === undefined || event === null ? "" : event),
        asText(data === undefined ? null : data),
      ]);
    },
  },
  actions: {
    /** Adds action buttons to the ones the manifest declares. */
    add: function (actions) {
      var list = Array.isArray(actions) ? actions : [actions];
      call("ui.modify", "owncast.actions.add", "owncast_add_actions", [asText(list)]);
    },
    /** Removes the buttons added at run time (the manifest's stay). */
    clear: function () {
      call("ui.modify", "owncast.actions.clear", "owncast_clear_actions", [BigInt(0)]);
    },
  },
  timer: {
    /** Runs `fn` once after about `ms` milliseconds; returns an id for clear(). */
    setTimeout: function (fn, ms) {
      return scheduleTimer(fn, ms, false, "owncast.timer.setTimeout");
    },
    /** Runs `fn` every `ms` milliseconds until clear(id). */
    setInterval: function (fn, ms) {
      return scheduleTimer(fn, ms, true, "owncast.timer.setInterval");
    },
    clear: function (id) {
      delete timers[id];
      call(null, "owncast.timer.clear", "owncast_timer_clear", [BigInt(Number(id) || 0)]);
    },
  },
  assets: {
    /** Bytes of a file the plugin ships in assets/, or null. */
    read: function (path) {
      return readBytes(call(null, "owncast.assets.read", "owncast_asset_read", [String(path)]));
    },
    readText: function (path) {
      return readString(call(null, "owncast.assets.readText", "owncast_asset_read", [String(path)]));
    },
  },
  http: {
    /** Synchronous outbound HTTP (needs network.fetch and network.allowedHosts). */
    fetch: fetchImpl,
  },
  config: {
    /** An admin-set config value, typed by the manifest's `config` schema. */
    get: configValue,
  },
  // info/warning/error write to the server log through upstream's
  // owncast_log_* (ambient) when the engine imports them, else through the
  // console (Extism log_*); the host attributes both to the plugin.
  log: {
    trace: logger("trace"),
    debug: logger("debug"),
    info: function () {
      if (!imported("owncast_log_info")) return console.info.apply(console, arguments);
      call(null, "owncast.log.info", "owncast_log_info", [logLine(arguments)]);
    },
    warning: function () {
      if (!imported("owncast_log_warning")) return console.warn.apply(console, arguments);
      call(null, "owncast.log.warning", "owncast_log_warning", [logLine(arguments)]);
    },
    error: function () {
      if (!imported("owncast_log_error")) return console.error.apply(console, arguments);
      call(null, "owncast.log.error", "owncast_log_error", [logLine(arguments)]);
    },
  },
  /** The manifest this plugin runs with (from the host's config or the build). */
  manifest: function () {
    return getManifest();
  },
};

// The project's earlier names, kept for one release (deprecated in index.d.ts):
// alias -> current name, both `area.fn` under owncast.
var DEPRECATED = {
  "chat.sendSystem": "chat.system",
  "chat.kickClient": "chat.kick",
  "users.banIp": "users.banIP",
  "server.streamCurrent": "stream.current",
  "server.broadcaster": "stream.broadcaster",
  "ui.addActions": "actions.add",
  "ui.clearActions": "actions.clear",
};
owncast.log.warn = owncast.log.warning;
owncast.ui = {};
Object.keys(DEPRECATED).forEach(function (alias) {
  var a = alias.split(".");
  var t = DEPRECATED[alias].split(".");
  owncast[a[0]][a[1]] = owncast[t[0]][t[1]];
});

// ---------------------------------------------------------------------------
// Filter results

var filter = {
  pass: function () {
    return { action: "pass" };
  },
  modify: function (payload) {
    if (payload === undefined) throw new TypeError("filter.modify(payload) needs the new payload");
    return { action: "modify", payload: payload };
  },
  drop: function (reason) {
    return reason === undefined || reason === null ? { action: "drop" } : { action: "drop", reason: String(reason) };
  },
};

function describe(v) {
  if (v === null) return "null";
  if (typeof v !== "object") return typeof v + " " + String(v);
  try {
    var s = JSON.stringify(v);
    return s.length > 80 ? s.slice(0, 77) + "..." : s;
  } catch (e) {
    return Object.prototype.toString.call(v);
  }
}

function normalizeFilterResult(handlerName, r) {
  if (r === undefined || r === null) return { action: "pass" };
  if (typeof r === "object" && (r.action === "pass" || r.action === "modify" || r.action === "drop")) {
    var out = { action: r.action };
    if (r.action === "modify") {
      if (r.payload === undefined) throw new TypeError(handlerName + ": filter.modify(payload) without a payload");
      out.payload = r.payload;
    }
    if (r.action === "drop" && r.reason !== undefined && r.reason !== null) out.reason = String(r.reason);
    return out;
  }
  throw new TypeError(
    handlerName + " must return filter.pass(), filter.modify(payload) or filter.drop(reason), not " + describe(r)
  );
}

var PASS_JSON = '{"action":"pass"}';

/**
 * normalizeFilterResult's answer as JSON, without the intermediate object
 * for the common answers (a filter runs on every chat message); on the
 * Owncast engine a modify answer is the object (engineWritesJson).
 */
function filterResultJson(handlerName, r) {
  if (r === undefined || r === null) return PASS_JSON;
  if (typeof r === "object" && r.action === "pass") return PASS_JSON;
  if (typeof r === "object" && r.action === "modify" && r.payload !== undefined) {
    if (engineWritesJson) return { action: "modify", payload: r.payload };
    var payload = toJson(r.payload);
    if (payload !== undefined) return '{"action":"modify","payload":' + payload + "}";
  }
  return toJson(normalizeFilterResult(handlerName, r));
}

// ---------------------------------------------------------------------------
// HTTP responses

function bytesToString(b) {
  var u8 = b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return new TextDecoder().decode(u8);
}

function normalizeHttpResponse(r) {
  // upstream's default: a handler that returns nothing answers 200, empty
  if (r === undefined || r === null) return { status: 200, headers: {}, body: "" };
  if (typeof r === "string") {
    return { status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: r };
  }
  if (isBytes(r)) {
    return { status: 200, headers: { "content-type": "application/octet-stream" }, body: bytesToString(r) };
  }
  var isResponse =
    typeof r === "object" &&
    !Array.isArray(r) &&
    (typeof r.status === "number" || "body" in r || "headers" in r);
  if (!isResponse) {
    return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(r) };
  }
  var headers = {};
  var h = r.headers || {};
  for (var k in h) if (Object.prototype.hasOwnProperty.call(h, k)) headers[k] = String(h[k]);
  var out = { status: typeof r.status === "number" ? r.status : 200, headers: headers };
  var body = r.body;
  if (body === undefined || body === null) {
    // no body
  } else if (typeof body === "string") {
    out.body = body;
  } else if (isBytes(body)) {
    out.body = bytesToString(body);
  } else {
    out.body = JSON.stringify(body);
    if (!hasHeader(headers, "content-type")) headers["content-type"] = "application/json";
  }
  return out;
}

// ---------------------------------------------------------------------------
// Source maps: `owncast-plugin build` appends globalThis.__owncast_sourcemap
// ({sources, mappings}); error stacks are rewritten to the author's files.

var decodedLines = null;
var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function decodeMappings(mappings) {
  var lines = [];
  var src = 0,
    srcLine = 0,
    srcCol = 0;
  var rows = mappings.split(";");
  for (var l = 0; l < rows.length; l++) {
    var segs = [];
    var genCol = 0;
    var parts = rows[l] ? rows[l].split(",") : [];
    for (var p = 0; p < parts.length; p++) {
      var vals = [];
      var s = parts[p];
      var value = 0,
        shift = 0;
      for (var i = 0; i < s.length; i++) {
        var digit = B64.indexOf(s.charAt(i));
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
        } else {
          vals.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      genCol += vals[0];
      if (vals.length >= 4) {
        src += vals[1];
        srcLine += vals[2];
        srcCol += vals[3];
        segs.push([genCol, src, srcLine, srcCol]);
      }
    }
    lines.push(segs);
  }
  return lines;
}

function mapPosition(line, col) {
  var sm = G.__owncast_sourcemap;
  if (!sm || !sm.mappings) return null;
  if (!decodedLines) decodedLines = decodeMappings(sm.mappings);
  var segs = decodedLines[line - 1];
  if (!segs || !segs.length) return null;
  var c = Math.max(0, col - 1);
  var best = segs[0];
  for (var i = 0; i < segs.length; i++) {
    if (segs[i][0] <= c) best = segs[i];
    else break;
  }
  return { source: sm.sources[best[1]], line: best[2] + 1, column: best[3] + 1 };
}

function mapStack(stack) {
  if (typeof stack !== "string" || !G.__owncast_sourcemap) return stack;
  return stack.replace(/([^\s()]+\.js):(\d+)(?::(\d+))?/g, function (all, file, line, col) {
    if (file.indexOf("owncast-engine") === 0) return all;
    var pos = mapPosition(Number(line), Number(col || 1));
    return pos ? pos.source + ":" + pos.line + ":" + pos.column : all;
  });
}

function mapError(e) {
  if (e && typeof e === "object" && typeof e.stack === "string" && G.__owncast_sourcemap) {
    var mapped = mapStack(e.stack);
    if (mapped !== e.stack) {
      try {
        e.stack = mapped;
      } catch (err) {
        // read-only stack: fall through to a plain error object
      }
      if (e.stack !== mapped) {
        return { name: e.name, message: e.message, stack: mapped };
      }
    }
  }
  return e;
}

// ---------------------------------------------------------------------------
// definePlugin and the dispatcher

var plugin = null;

/** A key that looks like a handler name (onX / filterX) but is not one. */
function looksLikeHandler(k) {
  return /^(on|filter)[A-Z]/.test(k) || closest(k, HANDLER_NAMES) !== null;
}

/**
 * Checks a plugin definition. Handlers and settings must have their types;
 * a function whose name looks like a handler but is none is a typo (with a
 * suggestion). Other keys (data, helpers) are the author's, as upstream.
 */
function validate(def) {
  if (!def || typeof def !== "object") {
    throw new TypeError("definePlugin(def): def must be an object of handlers");
  }
  var keys = Object.keys(def);
  for (var i = 0; i < keys.length; i++) {
    var k = keys[i];
    var v = def[k];
    if (k.charAt(0) === "_") continue; // private helpers
    if (VALID_KEYS.indexOf(k) === -1) {
      if (typeof v !== "function" || !looksLikeHandler(k)) continue; // the author's own property
      var guess = closest(k, VALID_KEYS);
      throw new Error(
        'definePlugin: unknown handler "' + k + '".' +
          (guess ? ' Did you mean "' + guess + '"?' : "") +
          " Valid handlers: " + HANDLER_NAMES.join(", ") +
          '. Custom events go in on: { "<type>"(payload) {} }.'
      );
    }
    if (v === undefined) continue;
    var want = SETTINGS[k] || "function";
    if (typeof v !== want || v === null) {
      throw new TypeError("definePlugin: " + k + " must be a " + (want === "object" ? "an object" : want) + ", not " + describe(v));
    }
    if (k === "on") {
      var types = Object.keys(v);
      for (var j = 0; j < types.length; j++) {
        var t = types[j];
        if (typeof v[t] !== "function") {
          throw new TypeError('definePlugin: on["' + t + '"] must be a function');
        }
        if (!t) throw new TypeError("definePlugin: on: event types must be non-empty strings");
        if (EVENT_HANDLERS[t]) {
          throw new Error(
            'definePlugin: on["' + t + '"] is a handler name, not an event type: define ' + t + "(payload) next to on"
          );
        }
      }
    }
    if (k === "commands") {
      compileCommands(def); // throws on a bad table
      Object.keys(v).forEach(function (name) {
        if (v[name] && v[name].onCooldown !== undefined) {
          throw new TypeError(
            'definePlugin: command "' + name + '": onCooldown is not available here: the host routes these commands and ' +
              "drops one cooling down silently, as upstream (a defineCommands router in a handler can answer it)"
          );
        }
      });
    }
    if (k === "commandPrefix" && !v) throw new TypeError("definePlugin: commandPrefix must be a non-empty string");
  }
}

/** The filter priority: definePlugin's `filterPriority`, else the manifest's. */
function filterPriority(def) {
  if (typeof def.filterPriority === "number") return def.filterPriority;
  var m = getManifest();
  return m && typeof m.filterPriority === "number" ? m.filterPriority : undefined;
}

function subscriptions(def) {
  var notify = [];
  var filters = [];
  var seen = {};
  var k;
  var add = function (ev) {
    if (!seen[ev]) {
      seen[ev] = true;
      notify.push({ event: ev });
    }
  };
  for (k in EVENT_HANDLERS) {
    if (typeof def[k] !== "function") continue;
    if (EVENT_HANDLERS[k][0] === "filter") filters.push({ event: EVENT_HANDLERS[k][1] });
    else add(EVENT_HANDLERS[k][1]);
  }
  // The host routes commands (chat.command); only onUnknownCommand and
  // onDenied need to see every chat message.
  if (seesCommandMessages(def)) add(Events.ChatMessageReceived);
  if (def.on) for (k in def.on) add(k);
  var priority = filterPriority(def);
  if (priority !== undefined) {
    for (var i = 0; i < filters.length; i++) filters[i].priority = priority;
  }
  return { notify: notify, filter: filters };
}

// ---------------------------------------------------------------------------
// Chat commands. `definePlugin({commands: {...}})`: register() declares them
// (upstream's `commands`) and the host routes each match to on_event as
// `chat.command`. `defineCommands(...)`: a router the plugin calls itself.

function isModerator(user) {
  return !!(user && typeof user === "object" && Array.isArray(user.scopes) && user.scopes.indexOf("MODERATOR") !== -1);
}

/** A router: `(msg) -> true` when the message was a command (even if refused). */
function defineCommands(config) {
  if (!config || typeof config !== "object" || !config.commands || typeof config.commands !== "object") {
    throw new TypeError("defineCommands({commands: {...}}): commands must be an object");
  }
  var prefix = config.prefix === undefined || config.prefix === null ? "!" : config.prefix;
  if (typeof prefix !== "string" || !prefix) throw new TypeError("defineCommands: prefix must be a non-empty string");
  var cased = !!config.caseSensitive;
  var fold = function (s) {
    return cased ? s : s.toLowerCase();
  };
  var byName = {};
  Object.keys(config.commands).forEach(function (name) {
    var c = config.commands[name];
    if (!c || typeof c !== "object") throw new TypeError('command "' + name + '" must be an object');
    if (typeof c.run !== "function") throw new TypeError('command "' + name + '" needs a run(ctx) function');
    var aliases = c.aliases === undefined || c.aliases === null ? [] : c.aliases;
    if (!Array.isArray(aliases) || aliases.some(function (a) { return typeof a !== "string"; })) {
      throw new TypeError('command "' + name + '" aliases must be an array of strings');
    }
    var cd = c.cooldownMs === undefined || c.cooldownMs === null ? 0 : c.cooldownMs;
    if (typeof cd !== "number" || cd < 0 || Math.floor(cd) !== cd) {
      throw new TypeError('command "' + name + '" cooldownMs must be a non-negative integer');
    }
    [name].concat(aliases).forEach(function (n) {
      byName[fold(n)] = name;
    });
  });
  var lastRun = {}; // command + "\n" + user id -> ms
  return function route(msg) {
    var body = msg && typeof msg.body === "string" ? msg.body.trim() : "";
    if (body.indexOf(prefix) !== 0) return false;
    var rest = body.slice(prefix.length);
    var m = /^(\S+)\s*([\s\S]*)$/.exec(rest);
    if (!m) return false;
    var user = msg.user;
    var ctx = {
      msg: msg,
      user: user,
      command: null,
      invokedAs: m[1],
      args: m[2] ? m[2].split(/\s+/) : [],
      argString: m[2],
      reply: function (text) {
        owncast.chat.send(text);
      },
      replyPrivately: function (text) {
        if (!owncast.chat.replyTo(msg, text)) owncast.chat.send(text);
      },
    };
    var name = byName[fold(m[1])];
    if (!name) {
      if (typeof config.onUnknown !== "function") return false;
      ctx.command = m[1];
      config.onUnknown(ctx);
      return true;
    }
    var c = config.commands[name];
    ctx.command = name;
    if (c.modOnly && !isModerator(user)) {
      var denied = c.onDenied || config.onDenied;
      if (denied) denied(ctx);
      return true;
    }
    if (c.cooldownMs) {
      var who = user && typeof user === "object" ? user.id : String(user);
      var key = name + "\n" + who;
      var now = Date.parse(msg.timestamp);
      if (isNaN(now)) now = Date.now();
      if (lastRun[key] !== undefined && now - lastRun[key] < c.cooldownMs) {
        var cool = c.onCooldown || config.onCooldown;
        if (cool) cool(ctx);
        return true;
      }
      lastRun[key] = now;
    }
    c.run(ctx);
    return true;
  };
}

/** definePlugin's commands as register() declares them (upstream's CommandInfo). */
function commandDeclarations(def) {
  var prefix = def.commandPrefix === undefined || def.commandPrefix === null ? "!" : def.commandPrefix;
  var cased = !!def.commandsCaseSensitive;
  return Object.keys(def.commands).map(function (name) {
    var c = def.commands[name];
    return {
      name: name,
      prefix: prefix,
      description: c.description || "",
      usage: c.usage || "",
      aliases: c.aliases || [],
      modOnly: !!c.modOnly,
      caseSensitive: cased,
      cooldownMs: c.cooldownMs || 0,
    };
  });
}

function commandContext(msg, command, invokedAs, args, argString) {
  return {
    msg: msg,
    user: msg && msg.user,
    command: command,
    invokedAs: invokedAs,
    args: args,
    argString: argString,
    reply: function (text) {
      owncast.chat.send(text);
    },
    replyPrivately: function (text) {
      if (!owncast.chat.replyTo(msg, text)) owncast.chat.send(text);
    },
  };
}

/** A `chat.command` from the host: runs the declared command's run(ctx). */
function runCommand(def, ev) {
  if (!ev || typeof ev !== "object" || !def.commands) return undefined;
  var c = Object.prototype.hasOwnProperty.call(def.commands, ev.command) ? def.commands[ev.command] : null;
  if (!c || typeof c.run !== "function") return undefined;
  return c.run(commandContext(ev.message, ev.command, ev.invokedAs || ev.command, ev.args || [], ev.argString || ""));
}

/** Whether the plugin answers what the host refuses silently (extensions). */
function seesCommandMessages(def) {
  if (!def.commands || typeof def.commands !== "object") return false;
  if (typeof def.onUnknownCommand === "function") return true;
  return Object.keys(def.commands).some(function (n) {
    return def.commands[n] && typeof def.commands[n].onDenied === "function";
  });
}

/**
 * The extensions on a chat message the host routes commands from:
 * onUnknownCommand for a prefixed word that is no command or alias, a
 * command's onDenied for a mod-only command sent by a non-moderator (the
 * host runs neither, as upstream).
 */
function runCommandExtensions(def, msg) {
  var prefix = def.commandPrefix === undefined || def.commandPrefix === null ? "!" : def.commandPrefix;
  var body = msg && typeof msg.body === "string" ? msg.body : "";
  if (body.indexOf(prefix) !== 0) return undefined;
  var m = /^(\S+)\s*([\s\S]*)$/.exec(body.slice(prefix.length).trim());
  if (!m) return undefined;
  var fold = function (s) {
    return def.commandsCaseSensitive ? s : s.toLowerCase();
  };
  var known = commandDeclarations(def).filter(function (c) {
    return [c.name].concat(c.aliases).some(function (n) {
      return fold(n) === fold(m[1]);
    });
  })[0];
  var rest = m[2].trim();
  var ctx = function (command) {
    return commandContext(msg, command, m[1], rest ? rest.split(/\s+/) : [], rest);
  };
  if (!known) {
    return typeof def.onUnknownCommand === "function" ? def.onUnknownCommand(ctx(m[1])) : undefined;
  }
  var c = def.commands[known.name];
  if (known.modOnly && !isModerator(msg.user) && typeof c.onDenied === "function") return c.onDenied(ctx(known.name));
  return undefined;
}

var commandRouters = typeof WeakMap !== "undefined" ? new WeakMap() : null;
function compileCommands(def) {
  var r = commandRouters && commandRouters.get(def);
  if (!r) {
    r = defineCommands({
      commands: def.commands,
      prefix: def.commandPrefix,
      caseSensitive: def.commandsCaseSensitive,
      onUnknown: def.onUnknownCommand,
    });
    if (commandRouters) commandRouters.set(def, r);
  }
  return r;
}

function parseInput(input, exportName) {
  if (input === undefined || input === null || input === "") return {};
  // The Owncast engine passes the input already parsed (dispatch.parsedInput).
  if (typeof input === "object") return input;
  try {
    return fromJson(input);
  } catch (e) {
    throw new Error(exportName + ": input is not valid JSON: " + e.message);
  }
}

function then(v, f) {
  if (v && typeof v.then === "function") return v.then(f);
  return f(v);
}

function runEvent(def, ev) {
  var type = ev.eventType;
  var payload = ev.payload;
  if (type === INTERNAL_EVENTS.timerFire) return fireTimer(payload);
  if (type === INTERNAL_EVENTS.chatCommand) return runCommand(def, payload);
  var results = [];
  if (type === Events.ChatMessageReceived && seesCommandMessages(def)) results.push(runCommandExtensions(def, payload));
  var notify = handlerNames(NOTIFY_SEEN, NOTIFY_HANDLERS, type);
  for (var i = 0; i < notify.length; i++) {
    if (typeof def[notify[i]] === "function") results.push(def[notify[i]](payload));
  }
  if (def.on && typeof def.on[type] === "function") results.push(def.on[type](payload, type));
  var pending = results.filter(function (r) {
    return r && typeof r.then === "function";
  });
  if (pending.length) {
    return Promise.all(pending).then(function () {
      return undefined;
    });
  }
  return undefined;
}

/**
 * `table[type]` (the handler names for an event type), kept for the last
 * type asked in `seen`. The type comes from the event's JSON as a new
 * string each call, and a property lookup by such a string first finds its
 * atom (hashing it, ~1,500 instructions); comparing it with the last type
 * is a short memcmp.
 */
function handlerNames(seen, table, type) {
  if (type !== seen.type) {
    seen.type = type;
    seen.names = (typeof type === "string" && table[type]) || NO_HANDLERS;
  }
  return seen.names;
}
var NOTIFY_SEEN = { type: undefined, names: NO_HANDLERS };
var FILTER_SEEN = { type: undefined, names: NO_HANDLERS };

function runFilter(def, ev) {
  var handlerName = null;
  var names = handlerNames(FILTER_SEEN, FILTER_HANDLERS, ev.eventType);
  for (var i = 0; i < names.length; i++) {
    if (typeof def[names[i]] === "function") handlerName = names[i];
  }
  if (!handlerName) return PASS_JSON;
  var r = def[handlerName](ev.payload);
  // then(), written out: a filter runs on every chat message, and the
  // closure then() needs costs ~4,800 instructions a call (1.6%, callgrind).
  if (r && typeof r.then === "function") {
    return r.then(function (v) {
      return filterResultJson(handlerName, v);
    });
  }
  return filterResultJson(handlerName, r);
}

function runHttp(def, req) {
  if (typeof def.onHttpRequest !== "function") {
    return JSON.stringify({ status: 404, headers: {}, body: "" }); // upstream: no handler, empty 404
  }
  if (req && typeof req === "object") {
    Object.defineProperty(req, "json", {
      value: function () {
        return typeof req.body === "string" && req.body !== "" ? JSON.parse(req.body) : req.body;
      },
      enumerable: false,
    });
  }
  return then(def.onHttpRequest(req), function (r) {
    return toJson(normalizeHttpResponse(r));
  });
}

/** `onAuthCheck(req)` verdicts: keep, keep and extend, or end the session. */
var authCheck = freeze({
  ok: function () {
    return { action: "ok" };
  },
  refresh: function (opts) {
    var out = { action: "refresh" };
    if (opts && typeof opts.ttl === "number") out.ttl = opts.ttl;
    return out;
  },
  deny: function (reason) {
    return { action: "deny", reason: reason === undefined || reason === null ? "" : String(reason) };
  },
});

function runAuthCheck(def, req) {
  if (typeof def.onAuthCheck !== "function") return toJson(authCheck.ok());
  return then(def.onAuthCheck(req), function (r) {
    if (r === undefined || r === null) r = authCheck.ok();
    if (typeof r !== "object" || ["ok", "refresh", "deny"].indexOf(r.action) === -1) {
      throw new TypeError("onAuthCheck must return authCheck.ok(), authCheck.refresh() or authCheck.deny(reason), not " + describe(r));
    }
    return toJson(r);
  });
}

/** onTabContent/onPageContent/onPageStyles/onPageScripts: a string ("" for nothing). */
function runContent(def, handler, req) {
  if (typeof def[handler] !== "function") return "";
  return then(def[handler](req), function (r) {
    if (r === undefined || r === null) return "";
    if (typeof r !== "string") throw new TypeError(handler + " must return a string, not " + describe(r));
    return r;
  });
}

function registerOutput(def) {
  var m = getManifest() || {};
  var out = {};
  for (var k in m) if (Object.prototype.hasOwnProperty.call(m, k)) out[k] = m[k];
  out.subscriptions = subscriptions(def);
  if (def.commands) out.commands = commandDeclarations(def);
  return toJson(out);
}

/**
 * The engine's entry point: `(exportName, inputJson) -> output string |
 * undefined | Promise`. Exceptions carry source-mapped stacks.
 */
function dispatch(name, input) {
  if (!plugin) throw new Error("no plugin: the script must call definePlugin()");
  var def = plugin;
  var result;
  try {
    switch (name) {
      case "register":
        result = registerOutput(def);
        break;
      case "on_event":
        result = runEvent(def, parseInput(input, name));
        break;
      case "on_filter":
        result = runFilter(def, parseInput(input, name));
        break;
      case "on_http_request":
        result = runHttp(def, parseInput(input, name));
        break;
      case "on_auth_check":
        result = runAuthCheck(def, parseInput(input, name));
        break;
      case "on_tab_content":
        result = runContent(def, "onTabContent", parseInput(input, name));
        break;
      case "on_page_content":
        result = runContent(def, "onPageContent", parseInput(input, name));
        break;
      case "on_page_styles":
        result = runContent(def, "onPageStyles");
        break;
      case "on_page_scripts":
        result = runContent(def, "onPageScripts");
        break;
      case "__describe":
        // build-time introspection (owncast-plugin build)
        result = JSON.stringify({ handlers: Object.keys(def), subscriptions: subscriptions(def) });
        break;
      default:
        throw new Error("unknown plugin export " + name);
    }
  } catch (e) {
    throw mapError(e);
  }
  if (result && typeof result.then === "function") {
    return result.then(undefined, function (e) {
      throw mapError(e);
    });
  }
  return result;
}

/**
 * Tells the Owncast engine that dispatch() takes an export's input as the
 * value its JSON parser made of the text (a string still works: text the
 * engine's parser declines comes as it is, for JSON.parse).
 */
dispatch.parsedInput = true;

/** extism-js style export: reads Host input, writes Host output, returns 0. */
function exportFn(name) {
  return function () {
    var out = dispatch(name, Host.inputString());
    if (out && typeof out.then === "function") {
      throw new Error(name + ": async handlers need the Owncast QuickJS engine (extism-js cannot wait for promises)");
    }
    if (out !== undefined && out !== null) Host.outputString(out);
    return 0;
  };
}

var EXPORT_NAMES = ["register", "on_event", "on_filter", "on_http_request", "on_auth_check", "on_tab_content", "on_page_content", "on_page_styles", "on_page_scripts"];

/**
 * Registers the plugin and returns its definition, like upstream. The
 * Extism export functions (`register`, `on_event`, ...) are attached to it
 * as non-enumerable properties, so `module.exports = definePlugin({...})`
 * also works on extism-js.
 */
function definePlugin(def) {
  validate(def);
  if (plugin) throw new Error("definePlugin() was called more than once: a plugin script defines one plugin");
  plugin = def;
  Object.defineProperty(G, "__owncast_dispatch", {
    value: dispatch,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  if (Object.isExtensible(def)) {
    EXPORT_NAMES.forEach(function (n) {
      if (!Object.prototype.hasOwnProperty.call(def, n)) {
        Object.defineProperty(def, n, { value: exportFn(n), enumerable: false, configurable: true });
      }
    });
  }
  return def;
}

// ---------------------------------------------------------------------------
// HTML escaping: system messages, tabs, page content and HTML responses are
// HTML; anything a viewer, an admin's config or another site wrote must be
// escaped before it goes into one.

var HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

/** `s` (any value; null and undefined are "") with & < > " ' ` escaped. */
function escapeHtml(s) {
  if (s === undefined || s === null) return "";
  return String(s).replace(/[&<>"'`]/g, function (c) {
    return HTML_ESCAPES[c];
  });
}

/** Template tag escaping every interpolated value: html`<b>${name}</b>`. */
function html(strings) {
  var out = strings[0];
  for (var i = 1; i < strings.length; i++) out += escapeHtml(arguments[i]) + strings[i];
  return out;
}

module.exports = {
  definePlugin: definePlugin,
  defineCommands: defineCommands,
  owncast: owncast,
  filter: filter,
  authCheck: authCheck,
  FilterAction: FilterAction,
  Events: Events,
  Permissions: Permissions,
  escapeHtml: escapeHtml,
  html: html,
  events: BUILTIN_EVENTS.slice(),
  handlers: EVENT_HANDLERS,
  PermissionError: PermissionError,
  // for tooling and tests
  _internal: {
    subscriptions: subscriptions,
    validate: validate,
    closest: closest,
    deprecated: DEPRECATED,
    exportHandlers: EXPORT_HANDLERS,
    mapStack: mapStack,
    normalizeHttpResponse: normalizeHttpResponse,
    normalizeFilterResult: normalizeFilterResult,
  },
};
