"use strict";
// Small helpers for WebAssembly binaries: appending custom sections.

function uleb(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return Buffer.from(out);
}

/** Returns `wasm` with a custom section `name` holding `data` appended. */
function appendCustomSection(wasm, name, data) {
  const nameBytes = Buffer.from(name, "utf8");
  const payload = Buffer.isBuffer(data) ? data : Buffer.from(String(data), "utf8");
  const body = Buffer.concat([uleb(nameBytes.length), nameBytes, payload]);
  return Buffer.concat([wasm, Buffer.from([0]), uleb(body.length), body]);
}

/** Text of the first custom section `name`, or null. */
function customSection(wasm, name) {
  const mod = new WebAssembly.Module(wasm);
  const secs = WebAssembly.Module.customSections(mod, name);
  return secs.length ? Buffer.from(secs[0]).toString("utf8") : null;
}

module.exports = { appendCustomSection, customSection, uleb };
