"use strict";
// @owncast/plugin-sdk/testing: scenario tests written in JavaScript.
//
//   const { runScenarios } = require("@owncast/plugin-sdk/testing");
//   runScenarios([
//     { name: "greets", events: [{ event: "chat.message.received", payload: {...} }],
//       expect: { chatSends: ["hello"] } },
//   ]);
//
// Each scenario has the shape of one entry of a __tests__/*.test.json file.
// runScenarios writes them to a temporary plugin directory next to links to
// the built plugin (<slug>.wasm or <slug>.js, public/, assets/) and runs the
// native `owncast-plugin test` on it: the same runner, host and code path as
// the JSON scenarios. Build first (`owncast-plugin build`; the scaffolded
// `npm test` does).

const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");
const { findNative, NativeNotFound } = require("./lib/native");
const { manifestSlug } = require("./lib/slug");

/** Records a failing exit code without hiding an earlier one; returns false. */
function fail(code, message) {
  if (message) console.error(`runScenarios: ${message}`);
  if (!process.exitCode) process.exitCode = code;
  return false;
}

/** The built plugin code in `dir` for `slug`, or null. */
function builtCode(dir, slug) {
  for (const f of [`${slug}.wasm`, `${slug}.js`, path.join("dist", `${slug}.wasm`), path.join("dist", `${slug}.js`)]) {
    if (fs.existsSync(path.join(dir, f))) return f;
  }
  return null;
}

/**
 * Runs `scenarios` against the built plugin in `opts.cwd` (default: the
 * current directory). Returns true when all passed; on failure sets
 * process.exitCode (so several files can run in one process) and returns
 * false. `opts.name` names the temporary scenario file in reports.
 */
function runScenarios(scenarios, opts = {}) {
  if (!Array.isArray(scenarios) || scenarios.length === 0) return fail(2, "no scenarios given (expects a non-empty array)");
  const cwd = path.resolve(opts.cwd || process.cwd());
  const manifestPath = path.join(cwd, "plugin.manifest.json");
  if (!fs.existsSync(manifestPath)) return fail(2, `no plugin.manifest.json in ${cwd}`);
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
  } catch (e) {
    return fail(2, `${manifestPath}: ${e.message}`);
  }
  const slug = manifestSlug(manifest);
  if (!slug) return fail(2, `${manifestPath}: no "slug" and no "name" to derive one from`);
  const code = builtCode(cwd, slug);
  if (!code) return fail(2, `${slug}.wasm (or ${slug}.js) not found in ${cwd}: run \`owncast-plugin build\` first`);
  let bin;
  try {
    bin = findNative();
  } catch (e) {
    if (e instanceof NativeNotFound) return fail(127, e.message);
    throw e;
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "owncast-plugin-scenarios-"));
  try {
    // the manifest as the build saw it: with the slug it derived when none is set
    fs.writeFileSync(path.join(tmp, "plugin.manifest.json"), JSON.stringify(Object.assign({}, manifest, { slug }), null, 2));
    fs.mkdirSync(path.join(tmp, path.dirname(code)), { recursive: true });
    fs.symlinkSync(path.join(cwd, code), path.join(tmp, code));
    for (const d of ["public", "assets"]) {
      if (fs.existsSync(path.join(cwd, d))) fs.symlinkSync(path.join(cwd, d), path.join(tmp, d));
    }
    fs.mkdirSync(path.join(tmp, "__tests__"));
    const name = String(opts.name || "scenarios").replace(/[^A-Za-z0-9._-]+/g, "-");
    fs.writeFileSync(path.join(tmp, "__tests__", `${name}.test.json`), JSON.stringify(scenarios, null, 2));
    const r = spawnSync(bin.path, ["test", tmp], { stdio: "inherit" });
    if (r.error) return fail(126, `cannot run ${bin.path}: ${r.error.message}`);
    if (r.status !== 0) return fail(r.status === null ? 1 : r.status);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return true;
}

/**
 * Loads every __tests__/*.test.js of the project (each calls runScenarios
 * when loaded), in name order, in this process. True when all passed.
 */
function runScenarioFiles(opts = {}) {
  const cwd = path.resolve(opts.cwd || process.cwd());
  const dir = path.join(cwd, "__tests__");
  if (!fs.existsSync(dir)) return fail(2, `no __tests__ directory in ${cwd}`);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".test.js")).sort();
  if (!files.length) return fail(2, `no *.test.js files in ${dir}`);
  for (const f of files) require(path.join(dir, f));
  return !process.exitCode;
}

module.exports = { runScenarios, runScenarioFiles };
