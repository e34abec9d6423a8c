// Evaluated once when the engine starts (before the plugin script, and inside
// the wizer snapshot for self-contained modules). Builds the extism-js style
// globals on top of the native primitives in `__owncast_native`, then removes
// that object from the global scope.
(function (g) {
  "use strict";
  var N = g.__owncast_native;
  delete g.__owncast_native;

  function define(name, value) {
    Object.defineProperty(g, name, {
      value: value,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }

  // Strings pass through as UTF-8; ArrayBuffer and views are accepted too.
  function bytesOf(data, what) {
    if (typeof data === "string") return data;
    if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data;
    if (data === undefined || data === null) return "";
    throw new TypeError(what + ": expected a string, ArrayBuffer or typed array");
  }

  // --- Memory --------------------------------------------------------------
  function MemoryHandle(offset, len) {
    this.offset = offset;
    this.len = len;
  }
  MemoryHandle.prototype.readString = function () {
    return N.readString(this.offset);
  };
  MemoryHandle.prototype.readJsonObject = function () {
    return JSON.parse(N.readString(this.offset));
  };
  MemoryHandle.prototype.readBytes = function () {
    return N.readBytes(this.offset);
  };
  MemoryHandle.prototype.readUInt32 = function () {
    return new DataView(N.readBytes(this.offset)).getUint32(0, true);
  };
  MemoryHandle.prototype.readUInt64 = function () {
    return new DataView(N.readBytes(this.offset)).getBigUint64(0, true);
  };
  MemoryHandle.prototype.readFloat32 = function () {
    return new DataView(N.readBytes(this.offset)).getFloat32(0, true);
  };
  MemoryHandle.prototype.readFloat64 = function () {
    return new DataView(N.readBytes(this.offset)).getFloat64(0, true);
  };
  MemoryHandle.prototype.free = function () {
    N.free(this.offset);
  };

  function handleFor(offset) {
    return new MemoryHandle(offset, N.length(offset));
  }

  var Memory = {
    fromString: function (s) {
      return handleFor(N.alloc(String(s)));
    },
    fromBuffer: function (buf) {
      return handleFor(N.alloc(bytesOf(buf, "Memory.fromBuffer")));
    },
    fromJsonObject: function (obj) {
      var s = JSON.stringify(obj);
      return handleFor(N.alloc(s === undefined ? "null" : s));
    },
    allocUInt32: function (n) {
      var b = new ArrayBuffer(4);
      new DataView(b).setUint32(0, n, true);
      return handleFor(N.alloc(b));
    },
    allocUInt64: function (n) {
      var b = new ArrayBuffer(8);
      new DataView(b).setBigUint64(0, BigInt(n), true);
      return handleFor(N.alloc(b));
    },
    allocFloat32: function (n) {
      var b = new ArrayBuffer(4);
      new DataView(b).setFloat32(0, n, true);
      return handleFor(N.alloc(b));
    },
    allocFloat64: function (n) {
      var b = new ArrayBuffer(8);
      new DataView(b).setFloat64(0, n, true);
      return handleFor(N.alloc(b));
    },
    find: function (offset) {
      return handleFor(Number(offset));
    },
  };

  // --- Host ----------------------------------------------------------------
  var hostFunctions = Object.freeze(N.hostFunctions);
  var Host = {
    inputString: function () {
      return N.inputString();
    },
    inputBytes: function () {
      return N.inputBytes();
    },
    outputString: function (s) {
      N.output(String(s));
      return true;
    },
    outputBytes: function (buf) {
      N.output(bytesOf(buf, "Host.outputBytes"));
      return true;
    },
    getFunctions: function () {
      return hostFunctions;
    },
  };

  // --- Config / Var ----------------------------------------------------------
  var Config = {
    get: function (key) {
      return N.configGet(String(key));
    },
  };
  var Var = {
    getBytes: function (key) {
      return N.varGet(String(key));
    },
    getString: function (key) {
      var b = N.varGet(String(key));
      return b === null ? null : N.utf8Decode(b, false);
    },
    setBytes: function (key, value) {
      N.varSet(String(key), value === null || value === undefined ? null : bytesOf(value, "Var.setBytes"));
    },
    setString: function (key, value) {
      N.varSet(String(key), value === null || value === undefined ? null : String(value));
    },
  };

  // --- Http ------------------------------------------------------------------
  var Http = {
    request: function (req, body) {
      if (!req || typeof req.url !== "string") throw new TypeError("Http.request: `url` is required");
      var r = { url: req.url, method: (req.method || "GET").toUpperCase(), headers: req.headers || {} };
      var b = body === undefined || body === null ? undefined : bytesOf(body, "Http.request body");
      var res = N.http(JSON.stringify(r), b);
      var headers = {};
      if (res[2]) {
        try {
          headers = JSON.parse(res[2]) || {};
        } catch (e) {
          headers = {};
        }
      }
      return { status: res[0], body: N.utf8Decode(res[1], false), headers: headers };
    },
  };

  // --- console ---------------------------------------------------------------
  function show(v, depth) {
    if (typeof v === "string") return v;
    if (v instanceof Error) return (v.name || "Error") + ": " + v.message + (v.stack ? "\n" + v.stack : "");
    if (typeof v === "function") return "[Function " + (v.name || "anonymous") + "]";
    if (typeof v === "symbol" || typeof v === "bigint") return String(v);
    if (v === undefined) return "undefined";
    if (typeof v === "object" && v !== null) {
      try {
        var s = JSON.stringify(v);
        return s === undefined ? String(v) : s;
      } catch (e) {
        return String(v);
      }
    }
    return String(v);
  }
  function logger(level) {
    return function () {
      var min = N.logLevel();
      if (min > level) return;
      var parts = [];
      for (var i = 0; i < arguments.length; i++) parts.push(show(arguments[i]));
      N.log(level, parts.join(" "));
    };
  }
  var console = {
    trace: logger(0),
    debug: logger(1),
    log: logger(2),
    info: logger(2),
    warn: logger(3),
    error: logger(4),
  };

  // --- TextEncoder / TextDecoder ---------------------------------------------
  function TextEncoder() {}
  Object.defineProperty(TextEncoder.prototype, "encoding", { get: function () { return "utf-8"; } });
  TextEncoder.prototype.encode = function (s) {
    return new Uint8Array(N.utf8Encode(s === undefined ? "" : String(s)));
  };
  TextEncoder.prototype.encodeInto = function (s, dest) {
    var bytes = new Uint8Array(N.utf8Encode(String(s)));
    // Whole code points only.
    var n = Math.min(bytes.length, dest.length);
    while (n > 0 && n < bytes.length && (bytes[n] & 0xc0) === 0x80) n--;
    dest.set(bytes.subarray(0, n));
    var read = N.utf8Decode(bytes.subarray(0, n), false).length;
    return { read: read, written: n };
  };

  function TextDecoder(label, options) {
    var l = (label === undefined ? "utf-8" : String(label)).trim().toLowerCase();
    if (l !== "utf-8" && l !== "utf8" && l !== "unicode-1-1-utf-8") {
      throw new RangeError("TextDecoder: only utf-8 is supported, not " + label);
    }
    this.fatal = !!(options && options.fatal);
    this.ignoreBOM = !!(options && options.ignoreBOM);
  }
  Object.defineProperty(TextDecoder.prototype, "encoding", { get: function () { return "utf-8"; } });
  TextDecoder.prototype.decode = function (input) {
    if (input === undefined || input === null) return "";
    var s = N.utf8Decode(bytesOf(input, "TextDecoder.decode"), this.fatal);
    if (!this.ignoreBOM && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    return s;
  };

  // Seeded per instance (see random_f64 in lib.rs).
  var nativeRandom = N.random;
  Object.defineProperty(Math, "random", {
    value: function random() {
      return nativeRandom();
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });

  define("Memory", Memory);
  define("Host", Host);
  define("Config", Config);
  define("Var", Var);
  define("Http", Http);
  define("console", console);
  if (typeof g.TextEncoder === "undefined") define("TextEncoder", TextEncoder);
  if (typeof g.TextDecoder === "undefined") define("TextDecoder", TextDecoder);

  // CommonJS shape for bundles (esbuild format "cjs") and extism-js scripts.
  if (typeof g.module === "undefined") {
    var mod = { exports: {} };
    define("module", mod);
    define("exports", mod.exports);
  }
  if (typeof g.require === "undefined") {
    define("require", function (name) {
      throw new Error(
        'require("' + name + '"): modules must be bundled into the plugin script (owncast-plugin build does this)'
      );
    });
  }

  // jsonStringify(value) and jsonParse(text): JSON.stringify(value) and
  // JSON.parse(text), done natively for plain data (json.rs); the SDK reads
  // its input and writes its answers with them, and calls host functions
  // with hostStrings/takeString.
  define(
    "__owncast_engine",
    Object.freeze({
      name: "quickjs",
      version: "1",
      hostSignatures: Object.freeze(N.hostSignatures),
      jsonStringify: N.jsonStringify,
      jsonParse: N.jsonParse,
      // Host functions take strings for their offset arguments (copied
      // into a kernel block for the call), and takeString(offset) reads a
      // returned block as a string and frees it (null for 0).
      hostStrings: true,
      takeString: N.takeString,
    })
  );
})(globalThis);
