#!/usr/bin/env node
"use strict";
// owncast-plugin: command line of @owncast/plugin-sdk.
//
//   owncast-plugin build [dir]            -> <slug>.wasm (+ <slug>.manifest.json)
//   owncast-plugin build [dir] --script   -> <slug>.js   (shared-engine form)

const path = require("path");
const { build, BuildError } = require("../lib/build");

const USAGE = `usage: owncast-plugin build [dir] [options]

Bundles src/plugin.{ts,js} (with @owncast/plugin-sdk) using esbuild and
produces a plugin for the Owncast plugin runtime.

  default        <slug>.wasm: the QuickJS engine pre-initialized with the plugin
                 by wizer (self-contained, no JS parsing at load)
  --script       <slug>.js only: the script a shared engine evaluates (Extism
                 config "script"), with an inline source map

options:
  --out-dir <d>  where to write outputs (default: the plugin directory)
  --engine <f>   engine wasm to pre-initialize (default: the SDK's
                 engine/dist/owncast-js-engine.wasm, or the repository's
                 target-guest build); env OWNCAST_JS_ENGINE also works
  --entry <f>    plugin source (default: src/plugin.ts or src/plugin.js)
  --minify       minify the bundle
  -h, --help     this text

Also writes <slug>.manifest.json: plugin.manifest.json plus the
subscriptions derived from the handler names.`;

function parse(argv) {
  const opts = { dir: null };
  const args = argv.slice();
  const cmd = args.shift();
  while (args.length) {
    const a = args.shift();
    const value = () => {
      if (!args.length) throw new BuildError(`${a} needs a value`);
      return args.shift();
    };
    if (a === "--script") opts.script = true;
    else if (a === "--minify") opts.minify = true;
    else if (a === "--out-dir" || a === "-o") opts.outDir = value();
    else if (a === "--engine") opts.engine = value();
    else if (a === "--entry") opts.entry = value();
    else if (a === "-h" || a === "--help") opts.help = true;
    else if (a.startsWith("-")) throw new BuildError(`unknown option ${a}\n\n${USAGE}`);
    else if (opts.dir === null) opts.dir = a;
    else throw new BuildError(`unexpected argument ${a}`);
  }
  return { cmd, opts };
}

async function main() {
  let parsed;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (e) {
    console.error(`owncast-plugin: ${e.message}`);
    return 2;
  }
  const { cmd, opts } = parsed;
  if (!cmd || cmd === "-h" || cmd === "--help" || cmd === "help" || opts.help) {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  if (cmd !== "build") {
    console.error(`owncast-plugin: unknown command ${cmd}\n\n${USAGE}`);
    return 2;
  }
  try {
    await build(opts.dir || process.cwd(), {
      script: opts.script,
      outDir: opts.outDir,
      engine: opts.engine,
      entry: opts.entry,
      minify: opts.minify,
      log: (m) => console.log(m),
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

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
  }
);


