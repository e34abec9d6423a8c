#!/usr/bin/env node
"use strict";
// owncast-plugin: command line of @owncast/plugin-sdk.
//
//   owncast-plugin build [dir]            -> <slug>.wasm (+ <slug>.manifest.json)
//   owncast-plugin build [dir] --script   -> <slug>.js   (shared-engine form)
//   owncast-plugin test|serve|package|... -> the native owncast-plugin binary

const path = require("path");
const { spawn } = require("child_process");
const fs = require("fs");
const { build, BuildError, needsBuild } = require("../lib/build");
const { findNative, NativeNotFound } = require("../lib/native");

const USAGE = `usage: owncast-plugin <command> [args]

commands:
  build [dir]        bundle src/plugin.{ts,js} (or a root plugin.{ts,js}) and
                     build the plugin (below)
  test [dirs...]     run the scenario tests in __tests__/*.test.json against
                     the built plugin, through the Owncast plugin runtime
                     (--json for a machine-readable report)
  serve [dir|file.ocpkg]
                     run the plugin on a local development server
                     (http://localhost:8080/plugins/<slug>/; PORT=n changes
                     the port; POST /_dev/chat, GET /_dev/chat, POST
                     /_dev/event drive it)
  package [dir]      write <slug>.ocpkg, the single-file package admins
                     install (builds first when the plugin is not built)
  demo [dirs...]     stream a simulated chat through plugins

test, serve, package, demo and any other command are run by the native
owncast-plugin binary (the plugin runtime); see "owncast-plugin <command> --help".

build [dir] [options]
  Bundles src/plugin.{ts,js} (with @owncast/plugin-sdk) using esbuild, checks
  handlers and owncast.* calls against plugin.manifest.json, and produces:
  default        <slug>.wasm: the QuickJS engine pre-initialized with the plugin
                 by wizer (self-contained, no JS parsing at load)
  --script       <slug>.js only: the script a shared engine evaluates (Extism
                 config "script"), with an inline source map
  --out-dir <d>  where to write outputs (default: the plugin directory)
  --engine <f>   engine wasm to pre-initialize (default: the SDK's
                 engine/dist/owncast-js-engine.wasm, or the repository's
                 target-guest build); env OWNCAST_JS_ENGINE also works
  --entry <f>    plugin source (default: src/plugin.ts or src/plugin.js)
  --minify       minify the bundle
  --allow-ungranted  report owncast.* calls the manifest does not grant as
                 warnings instead of failing the build
  Also writes <slug>.manifest.json: plugin.manifest.json plus the
  subscriptions derived from the handler names.

The native binary: $OWNCAST_PLUGIN_BIN, the plugin-runtime repository's
target/ build, the @owncast/plugin-cli-<platform>-<arch> package, or PATH.`;

function parseBuild(args) {
  const opts = { dir: null };
  args = args.slice();
  while (args.length) {
    const a = args.shift();
    const value = () => {
      if (!args.length) throw new BuildError(`${a} needs a value`);
      return args.shift();
    };
    if (a === "--script") opts.script = true;
    else if (a === "--minify") opts.minify = true;
    else if (a === "--allow-ungranted") opts.permissionCheck = "warn";
    else if (a === "--out-dir" || a === "-o") opts.outDir = value();
    else if (a === "--engine") opts.engine = value();
    else if (a === "--entry") opts.entry = value();
    else if (a === "-h" || a === "--help") opts.help = true;
    else if (a.startsWith("-")) throw new BuildError(`unknown option ${a}\n\n${USAGE}`);
    else if (opts.dir === null) opts.dir = a;
    else throw new BuildError(`unexpected argument ${a}`);
  }
  return opts;
}

async function runBuild(args) {
  let opts;
  try {
    opts = parseBuild(args);
  } catch (e) {
    console.error(`owncast-plugin build: ${e.message}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    await build(opts.dir || process.cwd(), {
      script: opts.script,
      outDir: opts.outDir,
      engine: opts.engine,
      entry: opts.entry,
      minify: opts.minify,
      permissionCheck: opts.permissionCheck,
      log: (m) => console.log(m),
      warn: (m) => console.error(`warning: ${m}`),
    });
    return 0;
  } catch (e) {
    if (e instanceof BuildError) {
      console.error(`owncast-plugin build: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

/** Runs the native binary with `args`; resolves to its exit code. */
function runNative(args) {
  let bin;
  try {
    bin = findNative();
  } catch (e) {
    if (e instanceof NativeNotFound) {
      console.error(`owncast-plugin ${args[0]}: ${e.message}`);
      return Promise.resolve(127);
    }
    throw e;
  }
  if (process.env.OWNCAST_PLUGIN_DEBUG) console.error(`owncast-plugin: running ${bin.path} (${bin.source})`);
  return new Promise((resolve) => {
    const child = spawn(bin.path, args, { stdio: "inherit" });
    // Ctrl-C reaches the child too (same process group): wait for it to
    // finish. A SIGTERM sent to this wrapper alone is passed on.
    process.on("SIGINT", () => {});
    process.on("SIGTERM", () => {
      if (child.exitCode === null) child.kill("SIGTERM");
    });
    child.on("error", (e) => {
      console.error(`owncast-plugin: cannot run ${bin.path}: ${e.message}`);
      resolve(126);
    });
    child.on("exit", (code, signal) => resolve(code === null ? 128 + (signal === "SIGINT" ? 2 : 15) : code));
  });
}

/** Options of the native commands that take a value (so it is not the directory). */
const VALUE_OPTIONS = new Set(["--log", "--listen", "--build", "--admin-password", "--out", "-o", "--pace", "--wit", "--md", "--ts"]);

/**
 * `serve` and `package` take one plugin directory; like `build` and `test`,
 * default it to the current directory (npm scripts run in the project).
 */
function withDefaultDir(argv) {
  const [cmd, ...rest] = argv;
  if (cmd !== "serve" && cmd !== "package") return argv;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "-h" || a === "--help") return argv;
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith("-")) return argv;
  }
  return [cmd, ".", ...rest];
}

/** The directory argument of a `serve`/`package` command line (after withDefaultDir). */
function dirArgument(argv) {
  const rest = argv.slice(1);
  for (let i = 0; i < rest.length; i++) {
    if (VALUE_OPTIONS.has(rest[i])) i++;
    else if (!rest[i].startsWith("-")) return rest[i];
  }
  return null;
}

async function main() {
  const argv = process.argv.slice(2);
  const cmd = argv[0];
  if (!cmd || cmd === "-h" || cmd === "--help" || cmd === "help") {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  if (cmd === "--version" || cmd === "-V" || cmd === "version") {
    console.log(`@owncast/plugin-sdk ${require(path.join(__dirname, "..", "package.json")).version}`);
    try {
      const bin = findNative();
      console.log(`native: ${bin.path} (${bin.source})`);
    } catch (e) {
      console.log("native: not found");
    }
    return 0;
  }
  if (cmd === "build") return runBuild(argv.slice(1));
  const native = withDefaultDir(argv);
  if (cmd === "package") {
    // like upstream: package a project that was never built by building it first
    const dir = dirArgument(native);
    if (dir && fs.existsSync(dir) && fs.statSync(dir).isDirectory() && needsBuild(dir)) {
      console.log(`owncast-plugin package: ${dir} is not built yet; building first`);
      const code = await runBuild([dir]);
      if (code !== 0) return code;
    }
  }
  return runNative(native);
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
  }
);
