"use strict";
// Finding the native `owncast-plugin` binary (the Rust plugin runtime's CLI:
// test, serve, package, demo) that the npm CLI hands those commands to.
//
// Where it comes from, first found:
//   1. $OWNCAST_PLUGIN_BIN
//   2. inside the plugin-runtime repository (this SDK at sdks/js): the
//      locally built target/debug or target/release binary (the newer one)
//   3. the per-platform npm package, esbuild style:
//      @owncast/plugin-cli-<platform>-<arch> (an optionalDependency of the
//      published SDK; holds bin/owncast-plugin), built by scripts/pack-native.js
//   4. a native `owncast-plugin` on PATH (scripts such as this wrapper are skipped)

const fs = require("fs");
const path = require("path");

const SDK_DIR = path.resolve(__dirname, "..");
const EXE = process.platform === "win32" ? "owncast-plugin.exe" : "owncast-plugin";

/** The npm package holding the binary for this platform. */
function platformPackage(platform = process.platform, arch = process.arch) {
  return `@owncast/plugin-cli-${platform}-${arch}`;
}

/** Whether `file` is an executable program rather than a script (ELF, PE, Mach-O). */
function isNativeExecutable(file) {
  let fd;
  try {
    fd = fs.openSync(file, "r");
    const b = Buffer.alloc(4);
    if (fs.readSync(fd, b, 0, 4, 0) < 4) return false;
    if (b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46) return true; // ELF
    if (b[0] === 0x4d && b[1] === 0x5a) return true; // MZ (PE)
    const magic = b.readUInt32BE(0);
    return [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic); // Mach-O
  } catch (e) {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch (e) {
    return false;
  }
}

/** The repository root when this SDK sits in the plugin-runtime repository, else null. */
function repositoryRoot(sdkDir = SDK_DIR) {
  const root = path.resolve(sdkDir, "..", "..");
  const cargo = path.join(root, "Cargo.toml");
  if (!isFile(cargo) || !fs.existsSync(path.join(root, "cli"))) return null;
  return root;
}

/**
 * Candidate locations, best first: [{source, path}]. `opts`: {env, sdkDir,
 * resolve (module resolver, for tests)}.
 */
function candidates(opts = {}) {
  const env = opts.env || process.env;
  const list = [];
  if (env.OWNCAST_PLUGIN_BIN) list.push({ source: "$OWNCAST_PLUGIN_BIN", path: env.OWNCAST_PLUGIN_BIN, explicit: true });

  const root = repositoryRoot(opts.sdkDir);
  if (root) {
    const targetDir = env.CARGO_TARGET_DIR ? path.resolve(root, env.CARGO_TARGET_DIR) : path.join(root, "target");
    const builds = ["debug", "release"]
      .map((p) => path.join(targetDir, p, EXE))
      .filter(isFile)
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    for (const p of builds) list.push({ source: "repository build", path: p });
    if (!builds.length) list.push({ source: "repository build", path: path.join(targetDir, "debug", EXE) });
  }

  const pkg = platformPackage();
  const resolve = opts.resolve || ((id) => require.resolve(id, { paths: [process.cwd(), SDK_DIR] }));
  try {
    const dir = path.dirname(resolve(`${pkg}/package.json`));
    list.push({ source: pkg, path: path.join(dir, "bin", EXE) });
  } catch (e) {
    list.push({ source: pkg, path: null });
  }

  for (const d of (env.PATH || "").split(path.delimiter)) {
    if (!d) continue;
    const p = path.join(d, EXE);
    if (isFile(p) && isNativeExecutable(p)) {
      list.push({ source: "PATH", path: p });
      break;
    }
  }
  return list;
}

class NativeNotFound extends Error {}

/** The binary to run: {source, path}; throws NativeNotFound saying where it looked. */
function findNative(opts = {}) {
  const list = candidates(opts);
  for (const c of list) {
    if (!c.path) continue;
    if (c.explicit) {
      if (!isFile(c.path)) throw new NativeNotFound(`${c.source} is ${c.path}, which does not exist`);
      return c;
    }
    if (isFile(c.path) && isNativeExecutable(c.path)) return c;
  }
  const looked = list.map((c) => `  ${c.source}: ${c.path || "not installed"}`).join("\n");
  throw new NativeNotFound(
    `the native owncast-plugin binary was not found. Looked at:\n${looked}\n` +
      `Install ${platformPackage()} (npm normally installs it with @owncast/plugin-sdk), ` +
      "build it in the plugin runtime repository (cargo build -p owncast-plugin-cli), " +
      "or set OWNCAST_PLUGIN_BIN=/path/to/owncast-plugin"
  );
}

module.exports = { findNative, candidates, platformPackage, isNativeExecutable, repositoryRoot, NativeNotFound, EXE };
