#!/usr/bin/env node
// Prints a wasm module's imports, exports and custom sections (as JSON).
// usage: node test/inspect-wasm.js file.wasm
"use strict";
const fs = require("fs");
const mod = new WebAssembly.Module(fs.readFileSync(process.argv[2]));
const custom = {};
for (const name of ["owncast-engine", "owncast-sourcemap", "owncast-manifest"]) {
  const secs = WebAssembly.Module.customSections(mod, name);
  if (secs.length) custom[name] = Buffer.from(secs[0]).toString("utf8").slice(0, 80);
}
console.log(JSON.stringify({
  imports: WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}:${i.kind}`),
  exports: WebAssembly.Module.exports(mod).map((e) => `${e.name}:${e.kind}`),
  custom,
}, null, 1));
