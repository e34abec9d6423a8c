"use strict";
// `owncast-plugin build`: bundles a plugin's src/plugin.{ts,js} with the SDK
// runtime (esbuild), checks it against plugin.manifest.json, and produces
// either <slug>.js (the shared-engine form: the host passes it to the
// engine as Extism config `script`) or <slug>.wasm (the engine pre-initialized
// by wizer with the script, self-contained).

const fs = require("fs");
const os = require("os");
const path = require("path");
const vm = require("vm");
const { spawnSync } = require("child_process");
const { appendCustomSection } = require("./wasm");
const { checkSources } = require("./lint");

const SDK_DIR = path.resolve(__dirname, "..");
const SDK_ENTRY = path.join(SDK_DIR, "index.js");
// The SDK as ES exports, so unknown named imports fail the build with a location.
const SDK_ESM = path.join(SDK_DIR, "lib", "sdk-esm.mjs");
const { manifestSlug } = require("./slug");

// src/ first; a root plugin.ts / plugin.js also works, like upstream.
const ENTRY_CANDIDATES = [
  "src/plugin.ts",
  "src/plugin.js",
  "src/plugin.mts",
  "src/plugin.mjs",
  "src/plugin.cjs",
  "plugin.ts",
  "plugin.js",
];
const SLUG_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

class BuildError extends Error {}

function fail(msg) {
  throw new BuildError(msg);
}

function readManifest(dir) {
  const file = path.join(dir, "plugin.manifest.json");
  if (!fs.existsSync(file)) fail(`no plugin.manifest.json in ${dir}`);
  let m;
  try {
    m = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    fail(`plugin.manifest.json: ${e.message}`);
  }
  if (!m || typeof m !== "object" || Array.isArray(m)) fail("plugin.manifest.json must hold a JSON object");
  if (m.slug === undefined) {
    // optional, as upstream: derived from the name
    m.slug = manifestSlug(m);
    if (!SLUG_RE.test(m.slug)) {
      fail(`plugin.manifest.json: no "slug", and none can be derived from "name" ${JSON.stringify(m.name)}: set "slug"`);
    }
  } else if (typeof m.slug !== "string" || !SLUG_RE.test(m.slug)) {
    fail(`plugin.manifest.json: "slug" must be lowercase letters, digits and "-" (got ${JSON.stringify(m.slug)})`);
  }
  if (m.permissions !== undefined && !Array.isArray(m.permissions)) {
    fail('plugin.manifest.json: "permissions" must be a list');
  }
  const perms = m.permissions || [];
  if (perms.includes("network.fetch")) {
    const hosts = m.network && m.network.allowedHosts;
    if (!Array.isArray(hosts) || hosts.length === 0) {
      fail('plugin.manifest.json: "network.fetch" needs "network": {"allowedHosts": [...]} (write "*" explicitly to allow any host)');
    }
  }
  if (m.subscriptions !== undefined) {
    // Derived from handler names; a hand-written one would be misleading.
    delete m.subscriptions;
  }
  return m;
}

function findEntry(dir, entry) {
  if (entry) {
    const p = path.resolve(dir, entry);
    if (!fs.existsSync(p)) fail(`entry ${entry} not found`);
    return p;
  }
  for (const c of ENTRY_CANDIDATES) {
    const p = path.join(dir, c);
    if (fs.existsSync(p)) return p;
  }
  fail(`no plugin source: expected one of ${ENTRY_CANDIDATES.join(", ")} in ${dir}`);
}

function loadEsbuild() {
  try {
    return require("esbuild");
  } catch (e) {
    fail("esbuild is not installed: run `npm install` in the SDK (sdks/js) or add esbuild to your plugin");
  }
}

/** Bundles the plugin; returns {code, map} (map: parsed source map). */
async function bundle(dir, entryFile, manifest, opts) {
  const esbuild = loadEsbuild();
  const outfile = path.join(dir, `${manifest.slug}.js`);
  const rel = "./" + path.relative(dir, entryFile).split(path.sep).join("/");
  const stdin = [
    `globalThis.__OWNCAST_MANIFEST__ = ${JSON.stringify(manifest)};`,
    `var __plugin = require(${JSON.stringify(rel)});`,
    "module.exports = __plugin && __plugin.__esModule && __plugin.default ? __plugin.default : __plugin;",
    "",
  ].join("\n");
  let result;
  try {
    result = await esbuild.build({
      stdin: { contents: stdin, resolveDir: dir, sourcefile: "owncast-plugin-entry.js", loader: "js" },
      bundle: true,
      write: false,
      outfile,
      format: "cjs",
      platform: "neutral",
      mainFields: ["module", "main"],
      target: "es2022",
      sourcemap: "external",
      sourcesContent: true,
      minify: !!opts.minify,
      keepNames: true,
      alias: { "@owncast/plugin-sdk": SDK_ESM },
      absWorkingDir: dir,
      logLevel: "silent",
      legalComments: "none",
    });
  } catch (e) {
    const msgs = (e.errors || []).map((m) => {
      const loc = m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ` : "";
      const text = m.text.split(path.relative(dir, SDK_ESM).split(path.sep).join("/")).join("@owncast/plugin-sdk");
      const line = m.location && m.location.lineText ? `\n    ${m.location.lineText.trim()}` : "";
      return `${loc}${text}${line}`;
    });
    fail(`esbuild failed:\n  ${msgs.length ? msgs.join("\n  ") : e.message}`);
  }
  let code = null;
  let map = null;
  for (const f of result.outputFiles) {
    if (f.path.endsWith(".map")) map = JSON.parse(f.text);
    else code = f.text;
  }
  if (code === null || map === null) fail("esbuild produced no output");
  // Sources relative to the plugin directory; the SDK under its package name.
  const mapDir = path.dirname(outfile);
  map.sources = map.sources.map((s) => {
    const abs = path.resolve(mapDir, s);
    if (abs === SDK_ENTRY) return "@owncast/plugin-sdk/index.js";
    if (abs === SDK_ESM) return "@owncast/plugin-sdk/lib/sdk-esm.mjs";
    return path.relative(dir, abs).split(path.sep).join("/");
  });
  map.file = path.basename(outfile);
  code = code.replace(/\n\/\/# sourceMappingURL=.*\n?$/, "\n");
  return { code, map };
}

const VLQ_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function vlq(n) {
  let v = n < 0 ? (-n << 1) | 1 : n << 1;
  let out = "";
  do {
    let digit = v & 31;
    v >>>= 5;
    if (v > 0) digit |= 32;
    out += VLQ_DIGITS[digit];
  } while (v > 0);
  return out;
}

/**
 * `map.mappings` with only the segments that point into the author's own
 * sources. The runtime decodes the mappings on a plugin's first error, inside
 * a call with a deadline: the SDK's and libraries' segments (most of a small
 * plugin's bundle) would only make that slower, and their frames stay
 * unmapped either way.
 */
function authorMappings(map) {
  const keep = new Set(authorSources(map).map((s) => map.sources.indexOf(s)));
  const prev = [0, 0, 0];
  return decodeMap(map)
    .map((segs) => {
      let col = 0;
      const parts = [];
      for (const [gc, src, line, c] of segs) {
        if (!keep.has(src)) continue;
        parts.push(vlq(gc - col) + vlq(src - prev[0]) + vlq(line - prev[1]) + vlq(c - prev[2]));
        col = gc;
        prev[0] = src;
        prev[1] = line;
        prev[2] = c;
      }
      return parts.join(",");
    })
    .join(";");
}

/** The script the engine evaluates: bundle + compact source map global. */
function assembleScript(code, map, { inlineMap }) {
  const compact = { sources: map.sources, mappings: authorMappings(map) };
  let script = code.endsWith("\n") ? code : code + "\n";
  script += `Object.defineProperty(globalThis, "__owncast_sourcemap", { value: ${JSON.stringify(compact)}, configurable: true });\n`;
  if (inlineMap) {
    const b64 = Buffer.from(JSON.stringify(map)).toString("base64");
    script += `//# sourceMappingURL=data:application/json;charset=utf-8;base64,${b64}\n`;
  }
  return script;
}

// --- source-mapped messages for build-time errors -------------------------

function decodeMap(map) {
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const lines = [];
  let src = 0, sl = 0, sc = 0;
  for (const row of map.mappings.split(";")) {
    const segs = [];
    let gc = 0;
    for (const part of row ? row.split(",") : []) {
      const vals = [];
      let v = 0, shift = 0;
      for (const ch of part) {
        const d = B64.indexOf(ch);
        v += (d & 31) << shift;
        if (d & 32) shift += 5;
        else {
          vals.push(v & 1 ? -(v >>> 1) : v >>> 1);
          v = 0;
          shift = 0;
        }
      }
      gc += vals[0];
      if (vals.length >= 4) {
        src += vals[1];
        sl += vals[2];
        sc += vals[3];
        segs.push([gc, src, sl, sc]);
      }
    }
    lines.push(segs);
  }
  return lines;
}

function mapText(text, map, fileNames) {
  let lines = null;
  return String(text).replace(/([^\s()]+?\.js):(\d+)(?::(\d+))?/g, (all, file, line, col) => {
    if (!fileNames.some((f) => file === f || file.endsWith("/" + f))) return all;
    lines = lines || decodeMap(map);
    const segs = lines[Number(line) - 1];
    if (!segs || !segs.length) return all;
    const c = Math.max(0, Number(col || 1) - 1);
    let best = segs[0];
    for (const s of segs) {
      if (s[0] <= c) best = s;
      else break;
    }
    return `${map.sources[best[1]]}:${best[2] + 1}:${best[3] + 1}`;
  });
}

/** The bundle's sources written by the author (not the SDK, not the generated entry). */
function authorSources(map) {
  return (map.sources || []).filter(
    (s) => !s.startsWith("@owncast/plugin-sdk") && !s.endsWith("owncast-plugin-entry.js") && !s.includes("node_modules/")
  );
}

/**
 * "Name: message" plus the stack frames in the author's sources, mapped
 * (frames in the SDK, the generated entry and node internals left out).
 */
function describeError(e, map, filename) {
  if (!e || typeof e !== "object") return String(e);
  const head = `${e.name || "Error"}: ${e.message}`;
  const frames = String(e.stack || "")
    .split("\n")
    .filter((l) => /^\s+at /.test(l))
    .map((l) => mapText(l, map, [filename]).trim())
    .map((l) => l.replace(/^at [^\s]*\/(src\/[^\s(]+) \(/, "at $1 (").replace(/^at (\S+) \(\1:(\d+:\d+)\)$/, "at $1:$2"))
    .filter((l) => authorSources(map).some((src) => l.includes(`${src}:`)));
  return frames.length ? `${head}\n    ${frames.join("\n    ")}` : head;
}

// --- build-time check: run the script in node with stub host globals ------

function describePlugin(script, manifest, map) {
  const noop = () => {};
  const sandbox = {
    console: { log: noop, info: noop, warn: noop, error: noop, debug: noop, trace: noop },
    Host: {
      getFunctions: () => ({}),
      inputString: () => "",
      inputBytes: () => new ArrayBuffer(0),
      outputString: noop,
      outputBytes: noop,
    },
    Config: { get: (k) => (k === "manifest" ? JSON.stringify(manifest) : null) },
    Var: { getString: () => null, getBytes: () => null, setString: noop, setBytes: noop },
    Memory: {},
    Http: { request: () => ({ status: 0, body: "", headers: {} }) },
    TextEncoder,
    TextDecoder,
    __owncast_preinit: true,
  };
  sandbox.module = { exports: {} };
  sandbox.exports = sandbox.module.exports;
  vm.createContext(sandbox);
  const filename = "plugin.js";
  try {
    vm.runInContext(script, sandbox, { filename, timeout: 5000 });
  } catch (e) {
    fail(`the plugin script failed while loading:\n${describeError(e, map, filename)}`);
  }
  delete sandbox.__owncast_preinit;
  if (typeof sandbox.__owncast_dispatch !== "function") {
    const entry = (map.sources || []).find((s) => /^(src\/)?plugin\.[cm]?[jt]s$/.test(s)) || "the plugin source";
    const exported = Object.keys(sandbox.module.exports || {}).filter((k) => k in require("../index.js").handlers || k === "onHttpRequest");
    const hint = exported.length
      ? ` It exports ${exported.join(", ")} directly: put the handlers inside definePlugin({ ... }).`
      : "";
    fail(
      `${entry}: the plugin never calls definePlugin() from @owncast/plugin-sdk, so it has no handlers.${hint}\n` +
        '  import { definePlugin } from "@owncast/plugin-sdk";\n  export default definePlugin({ onChatMessage(msg) { ... } });'
    );
  }
  return JSON.parse(sandbox.__owncast_dispatch("__describe", ""));
}

/**
 * Handlers and owncast.* calls against the manifest's permissions. A call the
 * manifest does not grant fails the build (each one named with its file, line
 * and column) unless opts.permissionCheck is "warn"; a permission nothing
 * uses is a warning.
 */
/**
 * Handlers that need a permission of their own (upstream's rules): filters
 * chat.filter, onHttpRequest http.serve, content put into Owncast's page
 * ui.modify, the viewer-gate re-check auth.gate, the seven fediverse
 * handlers fediverse.inbound (the host refuses the matching subscriptions
 * without them).
 */
const HANDLER_PERMISSIONS = [
  ["filterChatMessage", "chat.filter"],
  ["onHttpRequest", "http.serve"],
  ["onFediverse", "fediverse.inbound"],
  ["onFediverseFollow", "fediverse.inbound"],
  ["onFediverseLike", "fediverse.inbound"],
  ["onFediverseRepost", "fediverse.inbound"],
  ["onFediverseQuote", "fediverse.inbound"],
  ["onFediverseMention", "fediverse.inbound"],
  ["onFediverseReply", "fediverse.inbound"],
  ["onTabContent", "ui.modify"],
  ["onPageContent", "ui.modify"],
  ["onPageStyles", "ui.modify"],
  ["onPageScripts", "ui.modify"],
  ["onAuthCheck", "auth.gate"],
];

function checkPermissions(manifest, info, map, opts = {}) {
  const perms = manifest.permissions || [];
  const warn = opts.warn || (() => {});
  const hasHandler = (h) => (h === "filterChatMessage" ? info.subscriptions.filter.length > 0 : info.handlers.includes(h));
  const problems = [];
  const usedByHandlers = new Set();
  for (const [h, perm] of HANDLER_PERMISSIONS) {
    if (!hasHandler(h)) continue;
    usedByHandlers.add(perm);
    if (!perms.includes(perm)) problems.push(`${h} needs the "${perm}" permission`);
  }
  // Upstream's host loads these without http.sse (so does this one, with a
  // warning): only a plugin holding it has SSE streams whose connections
  // raise the events.
  for (const h of ["onSseConnect", "onSseDisconnect"]) {
    if (!hasHandler(h)) continue;
    usedByHandlers.add("http.sse");
    if (!perms.includes("http.sse")) {
      warn(`plugin.manifest.json: ${h} never runs without the "http.sse" permission (no viewer can open the plugin's SSE streams)`);
    }
  }
  if (problems.length) {
    fail(`plugin.manifest.json: ${[...new Set(problems)].join("; ")} (add to "permissions")`);
  }
  if (perms.includes("chat.filter") && !info.subscriptions.filter.length) {
    warn('plugin.manifest.json: "chat.filter" is granted but the plugin has no filter handler (filterChatMessage)');
  }
  // http.serve without onHttpRequest is fine: it also serves public/.
  const { missing, unused } = checkSources(map, manifest, { commandReplies: info.handlers.includes("commands") });
  if (missing.length) {
    const lines = missing.map((c) => `${c.file}:${c.line}:${c.column}: ${c.api} needs the "${c.permission}" permission`);
    const needed = [...new Set(missing.map((c) => c.permission))].map((p) => JSON.stringify(p)).join(", ");
    const text = `${lines.join("\n")}\nplugin.manifest.json does not grant ${needed}: add ${missing.length > 1 ? "them" : "it"} to "permissions"`;
    if (opts.permissionCheck === "warn" || opts.permissionCheck === false) warn(text);
    else fail(text);
  }
  for (const p of unused) {
    if (usedByHandlers.has(p)) continue;
    warn(`plugin.manifest.json: "${p}" is granted but no owncast.* call in the sources needs it (remove it unless the code reaches it another way)`);
  }
}

// --- wizer ------------------------------------------------------------------

function findWizer() {
  if (process.env.WIZER) return process.env.WIZER;
  const pkg = `@bytecodealliance/wizer-${process.platform}-${process.arch}`;
  try {
    const dir = path.dirname(require.resolve(`${pkg}/package.json`));
    const bin = path.join(dir, process.platform === "win32" ? "wizer.exe" : "wizer");
    if (fs.existsSync(bin)) return bin;
  } catch (e) {
    // fall through
  }
  for (const d of (process.env.PATH || "").split(path.delimiter)) {
    const bin = path.join(d, "wizer");
    if (d && fs.existsSync(bin)) return bin;
  }
  fail(`wizer not found: install @bytecodealliance/wizer (which brings ${pkg}) or set WIZER=/path/to/wizer`);
}

/** Candidate locations of the engine wasm, best first. */
function engineCandidates() {
  const list = [];
  if (process.env.OWNCAST_JS_ENGINE) list.push(process.env.OWNCAST_JS_ENGINE);
  list.push(path.join(SDK_DIR, "engine", "dist", "owncast-js-engine.wasm"));
  // Inside the Owncast plugin runtime repository: the local guest build.
  list.push(path.resolve(SDK_DIR, "..", "..", "target-guest", "wasm32-wasip1", "release", "owncast_js_engine.wasm"));
  return list;
}

function findEngine(explicit) {
  if (explicit) {
    if (!fs.existsSync(explicit)) fail(`engine ${explicit} not found`);
    return explicit;
  }
  for (const p of engineCandidates()) if (fs.existsSync(p)) return p;
  fail(
    "the JavaScript engine wasm was not found; looked in:\n  " +
      engineCandidates().join("\n  ") +
      "\nBuild it with tools/build-js-engine.sh (in the plugin runtime repository), or pass --engine <file>"
  );
}

function preinitialize(enginePath, script, map) {
  const wizer = findWizer();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "owncast-plugin-"));
  const out = path.join(tmp, "plugin.wasm");
  try {
    const r = spawnSync(
      wizer,
      ["--allow-wasi", "--init-func", "wizer.initialize", "--inherit-stdio", "true", "-o", out, enginePath],
      { input: script, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 }
    );
    if (r.error) fail(`cannot run wizer (${wizer}): ${r.error.message}`);
    if (r.status !== 0) {
      let text = `${r.stderr}${r.stdout}`;
      // The engine's own message says what went wrong; wizer's trap report after it does not.
      const at = text.indexOf("owncast-js-engine: pre-initialization failed:");
      if (at !== -1) {
        text = text.slice(at + "owncast-js-engine: pre-initialization failed:".length);
        const end = text.indexOf("Error: the `wizer.initialize` function trapped");
        if (end !== -1) text = text.slice(0, end);
      }
      const err = mapText(text.trim(), map, ["plugin.js"]);
      fail(`wizer failed to pre-initialize the engine with the plugin:\n${err}`);
    }
    return fs.readFileSync(out);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Builds the plugin in `dir`.
 * opts: {script: bool (emit <slug>.js only), outDir, engine, minify, entry, log,
 *        warn, permissionCheck: true (default: ungranted calls fail) | "warn"}
 * Returns {slug, files: [paths], size}.
 */
async function build(dir, opts = {}) {
  const log = opts.log || (() => {});
  dir = path.resolve(dir || ".");
  const manifest = readManifest(dir);
  const entry = findEntry(dir, opts.entry);
  const outDir = path.resolve(dir, opts.outDir || ".");
  fs.mkdirSync(outDir, { recursive: true });

  const { code, map } = await bundle(dir, entry, manifest, opts);
  const checkScript = assembleScript(code, map, { inlineMap: false });
  const info = describePlugin(checkScript, manifest, map);
  checkPermissions(manifest, info, map, { permissionCheck: opts.permissionCheck, warn: opts.warn || log });

  const files = [];
  const fullManifest = Object.assign({}, manifest, { subscriptions: info.subscriptions });
  const manifestOut = path.join(outDir, `${manifest.slug}.manifest.json`);

  if (opts.script) {
    const script = assembleScript(code, map, { inlineMap: true });
    const jsOut = path.join(outDir, `${manifest.slug}.js`);
    fs.writeFileSync(jsOut, script);
    files.push(jsOut);
    log(`built ${path.relative(process.cwd(), jsOut) || jsOut} (${script.length} bytes, shared-engine script)`);
  } else {
    const enginePath = findEngine(opts.engine);
    let wasm = preinitialize(enginePath, checkScript, map);
    // Full source map (without sources' text) for hosts that map stacks.
    const sectionMap = Object.assign({}, map);
    delete sectionMap.sourcesContent;
    wasm = appendCustomSection(wasm, "owncast-sourcemap", JSON.stringify(sectionMap));
    const wasmOut = path.join(outDir, `${manifest.slug}.wasm`);
    fs.writeFileSync(wasmOut, wasm);
    files.push(wasmOut);
    log(`built ${path.relative(process.cwd(), wasmOut) || wasmOut} (${wasm.length} bytes, engine ${path.relative(process.cwd(), enginePath)})`);
  }
  fs.writeFileSync(manifestOut, JSON.stringify(fullManifest, null, 2) + "\n");
  files.push(manifestOut);
  return { slug: manifest.slug, files, subscriptions: info.subscriptions, handlers: info.handlers };
}

/**
 * True when `dir` has plugin sources (src/plugin.* or a root plugin.ts/.js)
 * but no built code for its slug (<slug>.wasm or <slug>.js, also in dist/).
 */
function needsBuild(dir) {
  let m;
  try {
    m = JSON.parse(fs.readFileSync(path.join(dir, "plugin.manifest.json"), "utf8"));
  } catch (e) {
    return false; // the native command reports the manifest problem
  }
  const slug = manifestSlug(m);
  const built = [`${slug}.wasm`, `${slug}.js`, `dist/${slug}.wasm`, `dist/${slug}.js`, "plugin.wasm"];
  if (slug && built.some((f) => fs.existsSync(path.join(dir, f)))) return false;
  return ENTRY_CANDIDATES.some((c) => fs.existsSync(path.join(dir, c)));
}

module.exports = { build, BuildError, bundle, assembleScript, readManifest, findEngine, findWizer, mapText, needsBuild };
