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

// ---------------------------------------------------------------------------
// Handler names

/** Notification/filter handler name -> [kind, event type]. */
var EVENT_HANDLERS = {
  onChatMessage: ["notify", "chat.message.received"],
  filterChatMessage: ["filter", "chat.message.received"],
  onChatUserJoined: ["notify", "chat.user.joined"],
  onChatUserParted: ["notify", "chat.user.parted"],
  onChatUserRenamed: ["notify", "chat.user.renamed"],
  onMessageModerated: ["notify", "chat.message.moderated"],
  onStreamStarted: ["notify", "stream.started"],
  onStreamStopped: ["notify", "stream.stopped"],
  onStreamTitleChanged: ["notify", "stream.title.changed"],
  onSseConnect: ["notify", "sse.connect"],
  onSseDisconnect: ["notify", "sse.disconnect"],
  onFediverseFollow: ["notify", "fediverse.follow"],
  onFediverseLike: ["notify", "fediverse.like"],
  onFediverseRepost: ["notify", "fediverse.repost"],
  onFediverseMention: ["notify", "fediverse.mention"],
  onFediverseReply: ["notify", "fediverse.reply"],
};
var OTHER_KEYS = ["onHttpRequest", "on"];
var VALID_KEYS = Object.keys(EVENT_HANDLERS).concat(OTHER_KEYS);

// Every built-in event has a handler; the list follows from the table (and
// test/sdk.test.js checks it against the types generated from wit/).
var BUILTIN_EVENTS = [];
Object.keys(EVENT_HANDLERS).forEach(function (k) {
  var t = EVENT_HANDLERS[k][1];
  if (BUILTIN_EVENTS.indexOf(t) < 0) BUILTIN_EVENTS.push(t);
});

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
 * Calls host function `name` after checking `perm`. String arguments are
 * copied into Extism memory (and freed after the call); numbers pass as is.
 */
function call(perm, api, name, args) {
  need(perm, api);
  var f = hostFn(name, api);
  var handles = [];
  var raw = [];
  for (var i = 0; i < args.length; i++) {
    var a = args[i];
    if (typeof a === "string" || isBytes(a)) {
      var h = typeof a === "string" ? Memory.fromString(a) : Memory.fromBuffer(a);
      handles.push(h);
      raw.push(h.offset);
    } else {
      raw.push(a);
    }
  }
  try {
    return f.apply(null, raw);
  } finally {
    for (var k = 0; k < handles.length; k++) {
      if (Number(handles[k].offset) !== 0) handles[k].free();
    }
  }
}

/** Reads (and frees) a returned offset as a string; 0 means none (null). */
function readString(off) {
  if (off === undefined || off === null || Number(off) === 0) return null;
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

function configValue(key) {
  key = String(key);
  if (key.indexOf("__") === 0) {
    throw new Error('owncast.config.get("' + key + '"): keys starting with "__" are reserved for the host');
  }
  var m = getManifest();
  var spec = m && m.config && Object.prototype.hasOwnProperty.call(m.config, key) ? m.config[key] : null;
  var raw = typeof Config !== "undefined" ? Config.get(key) : null;
  if (raw === null || raw === undefined) {
    return spec && spec.default !== undefined ? spec.default : null;
  }
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
  var method = String(opts.method || (body !== undefined && body !== null ? "POST" : "GET")).toUpperCase();
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
    /** Sends a system message (HTML body, no user). */
    sendSystem: function (html) {
      call("chat.send", "owncast.chat.sendSystem", "owncast_send_chat_system", [asText(html)]);
    },
    /** Sends a message to one chat client. */
    sendTo: function (clientId, text) {
      call("chat.send", "owncast.chat.sendTo", "owncast_send_chat_to", [Number(clientId), asText(text)]);
    },
    /** The last `limit` chat messages. */
    history: function (limit) {
      var n = limit === undefined ? 50 : limit | 0;
      return readJson(call("chat.history", "owncast.chat.history", "owncast_chat_history", [n])) || [];
    },
    /** Connected chat clients. */
    clients: function () {
      return readJson(call("chat.history", "owncast.chat.clients", "owncast_chat_clients", [])) || [];
    },
    deleteMessage: function (messageId) {
      call("chat.moderate", "owncast.chat.deleteMessage", "owncast_delete_message", [String(messageId)]);
    },
    kickClient: function (clientId) {
      call("chat.moderate", "owncast.chat.kickClient", "owncast_kick_client", [Number(clientId)]);
    },
  },
  kv: {
    /** The stored string, or null. */
    get: function (key) {
      return readString(call("storage.kv", "owncast.kv.get", "owncast_kv_get", [String(key)]));
    },
    /** Stores a string (other values are stored as JSON). */
    set: function (key, value) {
      call("storage.kv", "owncast.kv.set", "owncast_kv_set", [String(key), asText(value)]);
    },
  },
  storage: {
    /** Uploads a file; returns `{url}`. */
    upload: function (name, data) {
      var d = isBytes(data) ? data : asText(data);
      return readJson(call("storage.upload", "owncast.storage.upload", "owncast_storage_upload", [String(name), d]));
    },
  },
  fs: {
    /** File contents as a string, or null when missing. */
    read: function (path) {
      return readString(call("storage.fs", "owncast.fs.read", "owncast_fs_read", [String(path)]));
    },
    /** Returns `{ok, error?}`. */
    write: function (path, data) {
      var d = isBytes(data) ? data : asText(data);
      return readJson(call("storage.fs", "owncast.fs.write", "owncast_fs_write", [String(path), d]));
    },
    /** File names in a directory of the plugin's data directory. */
    list: function (path) {
      return readJson(call("storage.fs", "owncast.fs.list", "owncast_fs_list", [String(path === undefined ? "" : path)])) || [];
    },
    delete: function (path) {
      return readJson(call("storage.fs", "owncast.fs.delete", "owncast_fs_delete", [String(path)]));
    },
    exists: function (path) {
      return Number(call("storage.fs", "owncast.fs.exists", "owncast_fs_exists", [String(path)])) !== 0;
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
  server: {
    streamCurrent: function () {
      return readJson(call("server.read", "owncast.server.streamCurrent", "owncast_stream_current", []));
    },
    broadcaster: function () {
      return readJson(call("server.read", "owncast.server.broadcaster", "owncast_stream_broadcaster", []));
    },
    info: function () {
      return readJson(call("server.read", "owncast.server.info", "owncast_server_info", []));
    },
    socials: function () {
      return readJson(call("server.read", "owncast.server.socials", "owncast_server_socials", []));
    },
    federation: function () {
      return readJson(call("server.read", "owncast.server.federation", "owncast_server_federation", []));
    },
    tags: function () {
      return readJson(call("server.read", "owncast.server.tags", "owncast_server_tags", []));
    },
  },
  videoConfig: {
    read: function () {
      return readJson(call("videoconfig.read", "owncast.videoConfig.read", "owncast_video_config_read", []));
    },
    /** Returns `{ok, error?}`. */
    write: function (config) {
      return readJson(
        call("videoconfig.write", "owncast.videoConfig.write", "owncast_video_config_write", [asText(config)])
      );
    },
  },
  notifications: {
    discord: function (message) {
      call("notifications.send", "owncast.notifications.discord", "owncast_notify_discord", [asText(message)]);
    },
    browserPush: function (message) {
      call("notifications.send", "owncast.notifications.browserPush", "owncast_notify_browser_push", [
        asText(message),
      ]);
    },
    fediverse: function (message) {
      call("notifications.send", "owncast.notifications.fediverse", "owncast_notify_fediverse", [asText(message)]);
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
      call("users.moderate", "owncast.users.setEnabled", "owncast_user_set_enabled", [
        String(id),
        enabled ? 1 : 0,
        reason === undefined || reason === null ? "" : String(reason),
      ]);
    },
    banIp: function (ip) {
      call("users.moderate", "owncast.users.banIp", "owncast_ban_ip", [String(ip)]);
    },
  },
  fediverse: {
    /** Publishes a post; returns `{url}`. */
    post: function (text) {
      return readJson(call("fediverse.post", "owncast.fediverse.post", "owncast_fediverse_post", [asText(text)]));
    },
  },
  sse: {
    /** Sends an event to clients of /plugins/<slug>/_sse/<channel>. */
    send: function (channel, event, data) {
      call("http.sse", "owncast.sse.send", "owncast_sse_send", [
        String(channel),
        String(event === undefined || event === null ? "message" : event),
        asText(data === undefined ? null : data),
      ]);
    },
  },
  ui: {
    addActions: function (actions) {
      var list = Array.isArray(actions) ? actions : [actions];
      return readJson(call("ui.modify", "owncast.ui.addActions", "owncast_add_actions", [asText(list)]));
    },
    clearActions: function (which) {
      var arg = which === undefined || which === null ? 0 : asText(which);
      return readJson(call("ui.modify", "owncast.ui.clearActions", "owncast_clear_actions", [arg]));
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
  log: {
    trace: logger("trace"),
    debug: logger("debug"),
    info: logger("info"),
    warn: logger("warn"),
    error: logger("error"),
  },
  /** The manifest this plugin runs with (from the host's config or the build). */
  manifest: function () {
    return getManifest();
  },
};

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

// ---------------------------------------------------------------------------
// HTTP responses

function bytesToString(b) {
  var u8 = b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return new TextDecoder().decode(u8);
}

function normalizeHttpResponse(r) {
  if (r === undefined || r === null) return { status: 204 };
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

function validate(def) {
  if (!def || typeof def !== "object") {
    throw new TypeError("definePlugin(def): def must be an object of handlers");
  }
  var keys = Object.keys(def);
  for (var i = 0; i < keys.length; i++) {
    var k = keys[i];
    if (k.charAt(0) === "_") continue; // private helpers
    if (VALID_KEYS.indexOf(k) === -1) {
      var guess = closest(k, VALID_KEYS);
      throw new Error(
        'definePlugin: unknown handler "' + k + '".' +
          (guess ? ' Did you mean "' + guess + '"?' : "") +
          " Valid handlers: " + VALID_KEYS.join(", ") +
          '. Custom events go in on: { "<type>"(payload) {} }; helper properties may start with "_".'
      );
    }
    if (k === "on") {
      var on = def.on;
      if (!on || typeof on !== "object") throw new TypeError('definePlugin: "on" must be an object of event handlers');
      var types = Object.keys(on);
      for (var j = 0; j < types.length; j++) {
        var t = types[j];
        if (typeof on[t] !== "function") {
          throw new TypeError('definePlugin: on["' + t + '"] must be a function');
        }
        if (!t) throw new TypeError("definePlugin: on: event types must be non-empty strings");
        if (EVENT_HANDLERS[t]) {
          throw new Error(
            'definePlugin: on["' + t + '"] is a handler name, not an event type: define ' + t + "(payload) next to on"
          );
        }
      }
    } else if (typeof def[k] !== "function") {
      throw new TypeError("definePlugin: " + k + " must be a function, not " + describe(def[k]));
    }
  }
}

function subscriptions(def) {
  var notify = [];
  var filters = [];
  var seen = {};
  var k;
  for (k in EVENT_HANDLERS) {
    if (typeof def[k] !== "function") continue;
    var kind = EVENT_HANDLERS[k][0];
    var ev = EVENT_HANDLERS[k][1];
    if (kind === "filter") filters.push({ event: ev });
    else if (!seen[ev]) {
      seen[ev] = true;
      notify.push({ event: ev });
    }
  }
  if (def.on) {
    for (k in def.on) {
      if (!seen[k]) {
        seen[k] = true;
        notify.push({ event: k });
      }
    }
  }
  var m = getManifest();
  if (m && typeof m.filterPriority === "number") {
    for (var i = 0; i < filters.length; i++) filters[i].priority = m.filterPriority;
  }
  return { notify: notify, filter: filters };
}

function parseInput(input, exportName) {
  if (input === undefined || input === null || input === "") return {};
  try {
    return JSON.parse(input);
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
  var results = [];
  for (var k in EVENT_HANDLERS) {
    if (EVENT_HANDLERS[k][0] === "notify" && EVENT_HANDLERS[k][1] === type && typeof def[k] === "function") {
      results.push(def[k](payload));
    }
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

function runFilter(def, ev) {
  var handlerName = null;
  for (var k in EVENT_HANDLERS) {
    if (EVENT_HANDLERS[k][0] === "filter" && EVENT_HANDLERS[k][1] === ev.eventType && typeof def[k] === "function") {
      handlerName = k;
    }
  }
  if (!handlerName) return JSON.stringify({ action: "pass" });
  return then(def[handlerName](ev.payload), function (r) {
    return JSON.stringify(normalizeFilterResult(handlerName, r));
  });
}

function runHttp(def, req) {
  if (typeof def.onHttpRequest !== "function") {
    return JSON.stringify({ status: 404, headers: { "content-type": "text/plain; charset=utf-8" }, body: "not found" });
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
    return JSON.stringify(normalizeHttpResponse(r));
  });
}

function registerOutput(def) {
  var m = getManifest() || {};
  var out = {};
  for (var k in m) if (Object.prototype.hasOwnProperty.call(m, k)) out[k] = m[k];
  out.subscriptions = subscriptions(def);
  return JSON.stringify(out);
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

/**
 * Registers the plugin. Returns the Extism export functions (`register`,
 * `on_event`, `on_filter`, `on_http_request`) so that
 * `module.exports = definePlugin({...})` also works on extism-js.
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
  return {
    register: exportFn("register"),
    on_event: exportFn("on_event"),
    on_filter: exportFn("on_filter"),
    on_http_request: exportFn("on_http_request"),
  };
}

module.exports = {
  definePlugin: definePlugin,
  owncast: owncast,
  filter: filter,
  events: BUILTIN_EVENTS.slice(),
  handlers: EVENT_HANDLERS,
  PermissionError: PermissionError,
  // for tooling and tests
  _internal: {
    subscriptions: subscriptions,
    validate: validate,
    closest: closest,
    mapStack: mapStack,
    normalizeHttpResponse: normalizeHttpResponse,
    normalizeFilterResult: normalizeFilterResult,
  },
};
