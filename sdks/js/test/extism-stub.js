"use strict";
// A minimal Extism host for tests: a JS implementation of the Extism kernel
// imports (extism:host/env), stub owncast_* host functions (extism:host/user)
// that record what the plugin did, and Node's WASI. Enough to call a plugin's
// exports and check what they return; not a real host.

const fs = require("fs");
const { WASI } = require("node:wasi");

const LEVELS = ["trace", "debug", "info", "warn", "error"];

class StubHost {
  /**
   * opts: {config: {k: v}, kv: {k: v}, http: (req, body) => {status, body, headers},
   *        hostData: {streamCurrent, serverInfo, ...}, logLevel: 0..4}
   */
  constructor(wasmPath, opts = {}) {
    this.wasmPath = wasmPath;
    this.config = Object.assign({}, opts.config);
    this.kv = Object.assign({}, opts.kv);
    this.vars = {};
    this.httpHandler = opts.http || (() => ({ status: 404, body: "", headers: {} }));
    this.hostData = opts.hostData || {};
    this.logLevel = opts.logLevel === undefined ? 0 : opts.logLevel;
    this.bulk = opts.bulk !== false;
    this.bulkCalls = { load: 0, store: 0, input: 0 };
    this.standInCalls = 0;
    this.calls = []; // [name, ...decoded args]
    this.logs = []; // [level, message]
    this.problems = []; // kernel misuse (double free, bad offsets)
    // Kernel memory: a flat byte array; blocks[offset] = length.
    this.mem = new Uint8Array(1 << 16);
    this.top = 8;
    this.blocks = new Map();
    this.freed = new Set();
  }

  // ---- kernel memory -------------------------------------------------------
  grow(need) {
    if (need <= this.mem.length) return;
    let n = this.mem.length;
    while (n < need) n *= 2;
    const m = new Uint8Array(n);
    m.set(this.mem);
    this.mem = m;
  }
  alloc(len) {
    len = Number(len);
    if (len === 0) return 0;
    const off = this.top;
    this.top += Math.ceil(len / 8) * 8 + 8;
    this.grow(this.top);
    this.blocks.set(off, len);
    this.freed.delete(off);
    return off;
  }
  allocString(s) {
    const b = Buffer.from(s, "utf8");
    const off = this.alloc(b.length);
    this.mem.set(b, off);
    return off;
  }
  read(off) {
    off = Number(off);
    if (off === 0) return null;
    const len = this.blocks.get(off);
    if (len === undefined) {
      this.problems.push(`read of unknown block ${off}${this.freed.has(off) ? " (freed)" : ""}`);
      return null;
    }
    return Buffer.from(this.mem.subarray(off, off + len)).toString("utf8");
  }
  free(off) {
    off = Number(off);
    if (off === 0) return;
    if (!this.blocks.has(off)) {
      this.problems.push(`free of ${this.freed.has(off) ? "already freed" : "unknown"} block ${off}`);
      return;
    }
    this.blocks.delete(off);
    this.freed.add(off);
  }
  u64(off) {
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(this.mem[off + i]);
    return v;
  }
  setU64(off, v) {
    for (let i = 0; i < 8; i++) {
      this.mem[off + i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }

  /** A bulk copy between kernel memory (or the input) and the module's memory. */
  bulkCopy(kind, off, ptr, len) {
    if (!this.bulk) {
      this.standInCalls++;
      return 0n;
    }
    this.bulkCalls[kind]++;
    const guest = new Uint8Array(this.instance.exports.memory.buffer);
    const [o, p, n] = [Number(off), Number(ptr), Number(len)];
    if (kind === "load") guest.set(this.mem.subarray(o, o + n), p);
    else if (kind === "store") {
      this.grow(o + n);
      this.mem.set(guest.subarray(p, p + n), o);
    } else guest.set(this.input.subarray(0, n), p);
    return len;
  }

  // ---- imports -------------------------------------------------------------
  envImports() {
    const h = this;
    const str = (off) => h.read(off);
    const ret = (s) => BigInt(s === null || s === undefined ? 0 : h.allocString(String(s)));
    return {
      alloc: (n) => BigInt(h.alloc(n)),
      free: (o) => h.free(o),
      length: (o) => BigInt(h.blocks.get(Number(o)) || 0),
      length_unsafe: (o) => BigInt(h.blocks.get(Number(o)) || 0),
      load_u8: (o) => h.mem[Number(o)],
      load_u64: (o) => h.u64(Number(o)),
      store_u8: (o, v) => {
        h.mem[Number(o)] = v;
      },
      store_u64: (o, v) => h.setU64(Number(o), v),
      input_length: () => BigInt(h.input.length),
      input_load_u8: (i) => h.input[Number(i)],
      input_load_u64: (i) => {
        let v = 0n;
        for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(h.input[Number(i) + k] || 0);
        return v;
      },
      output_set: (o, len) => {
        h.output = Buffer.from(h.mem.subarray(Number(o), Number(o) + Number(len))).toString("utf8");
      },
      error_set: (o) => {
        h.error = str(o);
      },
      config_get: (k) => {
        const key = str(k);
        return Object.prototype.hasOwnProperty.call(h.config, key) ? ret(h.config[key]) : 0n;
      },
      var_get: (k) => {
        const key = str(k);
        return key in h.vars ? ret(h.vars[key]) : 0n;
      },
      var_set: (k, v) => {
        const key = str(k);
        if (Number(v) === 0) delete h.vars[key];
        else h.vars[key] = str(v);
      },
      http_request: (r, b) => {
        const req = JSON.parse(str(r));
        const body = Number(b) === 0 ? null : str(b);
        h.calls.push(["http_request", req, body]);
        const res = h.httpHandler(req, body) || {};
        h.httpStatus = res.status || 200;
        h.httpHeaders = res.headers || {};
        return ret(res.body || "");
      },
      http_status_code: () => h.httpStatus || 0,
      http_headers: () => ret(JSON.stringify(h.httpHeaders || {})),
      log_trace: (o) => h.logs.push(["trace", str(o)]),
      log_debug: (o) => h.logs.push(["debug", str(o)]),
      log_info: (o) => h.logs.push(["info", str(o)]),
      log_warn: (o) => h.logs.push(["warn", str(o)]),
      log_error: (o) => h.logs.push(["error", str(o)]),
      get_log_level: () => h.logLevel,
    };
  }

  userImports(module) {
    const h = this;
    const str = (off) => h.read(off);
    const ret = (v) => {
      if (v === null || v === undefined) return 0n;
      return BigInt(h.allocString(typeof v === "string" ? v : JSON.stringify(v)));
    };
    const rec = (name, ...args) => h.calls.push([name, ...args]);
    const d = h.hostData;
    const impl = {
      owncast_send_chat: (p) => rec("owncast_send_chat", str(p)),
      owncast_send_chat_action: (p) => rec("owncast_send_chat_action", str(p)),
      owncast_send_chat_system: (p) => rec("owncast_send_chat_system", str(p)),
      owncast_send_chat_to: (id, p) => rec("owncast_send_chat_to", id, str(p)),
      owncast_chat_history: (limit) => (rec("owncast_chat_history", limit), ret(d.chatHistory || [])),
      owncast_chat_clients: () => (rec("owncast_chat_clients"), ret(d.chatClients || [])),
      owncast_delete_message: (p) => (rec("owncast_delete_message", str(p)), ret({})),
      owncast_kick_client: (id) => (rec("owncast_kick_client", id), ret({})),
      owncast_kv_get: (k) => {
        const key = str(k);
        rec("owncast_kv_get", key);
        return key in h.kv ? ret(h.kv[key]) : 0n;
      },
      owncast_kv_set: (k, v) => {
        const key = str(k);
        h.kv[key] = str(v);
        rec("owncast_kv_set", key, h.kv[key]);
        return ret({});
      },
      owncast_storage_upload: (n, p) => (rec("owncast_storage_upload", str(n), str(p)), ret({ url: "/u/" + str(n) })),
      owncast_fs_read: (p) => {
        const name = str(p);
        rec("owncast_fs_read", name);
        return name === "x.txt" ? ret("héllo") : 0n;
      },
      owncast_fs_write: (p, v) => (rec("owncast_fs_write", str(p), str(v)), ret({ ok: true })),
      owncast_fs_list: (p) => (rec("owncast_fs_list", str(p)), ret([])),
      owncast_fs_delete: (p) => (rec("owncast_fs_delete", str(p)), ret({ ok: true })),
      owncast_fs_exists: (p) => (rec("owncast_fs_exists", str(p)), 0n),
      owncast_emit_event: (t, p) => rec("owncast_emit_event", str(t), JSON.parse(str(p))),
      owncast_stream_current: () => (rec("owncast_stream_current"), ret(d.stream || null)),
      owncast_stream_broadcaster: () => (rec("owncast_stream_broadcaster"), ret(d.broadcaster || null)),
      owncast_server_info: () => (rec("owncast_server_info"), ret(d.server || null)),
      owncast_server_socials: () => (rec("owncast_server_socials"), ret([])),
      owncast_server_federation: () => (rec("owncast_server_federation"), ret({})),
      owncast_server_tags: () => (rec("owncast_server_tags"), ret([])),
      owncast_server_emotes: () => (rec("owncast_server_emotes"), ret(d.emotes || [])),
      owncast_video_config_read: () => (rec("owncast_video_config_read"), ret(d.videoConfig || {})),
      owncast_video_config_write: (p) => {
        const update = str(p);
        rec("owncast_video_config_write", update);
        return ret(JSON.parse(update).latencyLevel > 4 ? { ok: false, error: "latencyLevel must be 0-4" } : { ok: true });
      },
      owncast_notify_discord: (p) => rec("owncast_notify_discord", str(p)),
      owncast_notify_browser_push: (p) => rec("owncast_notify_browser_push", str(p)),
      owncast_notify_fediverse: (p) => rec("owncast_notify_fediverse", str(p)),
      owncast_users_list: () => (rec("owncast_users_list"), ret([])),
      owncast_user_get: (p) => (rec("owncast_user_get", str(p)), 0n),
      owncast_user_set_enabled: (id, en, r) => (rec("owncast_user_set_enabled", str(id), en, str(r)), ret({})),
      owncast_ban_ip: (p) => (rec("owncast_ban_ip", str(p)), ret({})),
      owncast_fediverse_post: (p) => (rec("owncast_fediverse_post", str(p)), ret({ url: "https://x/1" })),
      owncast_sse_send: (c, e, p) => rec("owncast_sse_send", str(c), str(e), str(p)),
      owncast_add_actions: (p) => (rec("owncast_add_actions", str(p)), ret({ ok: true })),
      owncast_clear_actions: (p) => (rec("owncast_clear_actions", p), ret({ ok: true })),
      owncast_timer_set: (id, delay, repeat) => (rec("owncast_timer_set", id, delay, repeat), BigInt(d.timerRefused ? 0 : 1)),
      owncast_timer_clear: (id) => rec("owncast_timer_clear", id),
      owncast_config_get: (k) => {
        const key = str(k);
        rec("owncast_config_get", key);
        const v = (d.configValues || {})[key];
        return v === undefined ? 0n : ret(JSON.stringify(v));
      },
      owncast_asset_read: (p) => {
        const name = str(p);
        rec("owncast_asset_read", name);
        const v = (d.assets || {})[name];
        return v === undefined ? 0n : ret(v);
      },
      owncast_sql_exec: (p) => (rec("owncast_sql_exec", JSON.parse(str(p))), ret(d.sqlExec || { rowsAffected: 1, lastInsertId: 7 })),
      owncast_sql_query: (p) => (rec("owncast_sql_query", JSON.parse(str(p))), ret(d.sqlQuery || { columns: ["n"], rows: [[1]] })),
      owncast_users_register: (p) => {
        const req = JSON.parse(str(p));
        rec("owncast_users_register", req);
        return ret({ userId: "user-" + req.authId });
      },
      owncast_auth_grant_session: (p) => (rec("owncast_auth_grant_session", JSON.parse(str(p))), ret({})),
      owncast_auth_end_session: () => rec("owncast_auth_end_session"),
      // The Owncast host's bulk copies (compat-extism env.rs): `bulk: false`
      // gives the stand-ins another host would (0: copy the Extism way).
      owncast_kernel_load: (off, ptr, len) => h.bulkCopy("load", off, ptr, len),
      owncast_kernel_store: (off, ptr, len) => h.bulkCopy("store", off, ptr, len),
      owncast_input_load: (ptr, len) => h.bulkCopy("input", 0n, ptr, len),
      owncast_log_info: (p) => rec("owncast_log_info", str(p)),
      owncast_log_warning: (p) => rec("owncast_log_warning", str(p)),
      owncast_log_error: (p) => rec("owncast_log_error", str(p)),
    };
    const out = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.module !== "extism:host/user") continue;
      if (!impl[imp.name]) throw new Error(`stub host: unknown host function ${imp.name}`);
      const f = impl[imp.name];
      // h.trapOn = "owncast_x": that host function traps (like a deadline hit).
      out[imp.name] = (...args) => {
        if (h.trapOn === imp.name) throw new WebAssembly.RuntimeError(`stub trap in ${imp.name}`);
        return f(...args);
      };
    }
    return out;
  }

  async instantiate() {
    const module = new WebAssembly.Module(fs.readFileSync(this.wasmPath));
    this.module = module;
    const wasi = new WASI({ version: "preview1", args: [], env: {}, returnOnExit: true });
    const imports = {
      "extism:host/env": this.envImports(),
      "extism:host/user": this.userImports(module),
      wasi_snapshot_preview1: wasi.wasiImport,
    };
    this.instance = await WebAssembly.instantiate(module, imports);
    wasi.initialize(this.instance); // calls _initialize when the module has one
    return this;
  }

  /** Calls export `name` with string input; returns {rc, output, error}. */
  call(name, input) {
    this.input = Buffer.from(input === undefined ? "" : typeof input === "string" ? input : JSON.stringify(input));
    this.output = undefined;
    this.error = undefined;
    const rc = this.instance.exports[name]();
    return { rc, output: this.output, error: this.error };
  }

  callJson(name, input) {
    const r = this.call(name, input);
    if (r.rc !== 0) throw new Error(`${name} failed (rc ${r.rc}): ${r.error}`);
    return r.output === undefined || r.output === "" ? undefined : JSON.parse(r.output);
  }
}

module.exports = { StubHost, LEVELS };
