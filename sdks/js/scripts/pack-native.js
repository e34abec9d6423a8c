#!/usr/bin/env node
"use strict";
// Builds the per-platform npm package that carries the native owncast-plugin
// binary (the esbuild pattern): @owncast/plugin-cli-<platform>-<arch>, with
// `os`/`cpu` set so npm installs only the matching one, and the binary in
// bin/. The published @owncast/plugin-sdk lists every such package in
// optionalDependencies; lib/native.js finds the installed one.
//
//   node scripts/pack-native.js [--binary <file>] [--platform <p>] [--arch <a>]
//                               [--version <v>] [--out <dir>] [--sdk]
//
//   --binary    the built CLI (default: the repository's target/ build, as
//               `owncast-plugin test` would find it)
//   --platform  node's process.platform name (default: this machine's)
//   --arch      node's process.arch name (default: this machine's)
//   --version   package version (default: the SDK's)
//   --out       where package directories go (default: sdks/js/dist/npm)
//   --engine    the shared JS engine copied next to the binary (default:
//               engine/dist/owncast-js-engine.wasm when built); --no-engine
//               leaves it out
//   --sdk       also stage the SDK itself (dist/npm/plugin-sdk) with
//               optionalDependencies on every platform package of --platforms
//   --platforms comma list for --sdk (default: linux-x64,linux-arm64,
//               darwin-x64,darwin-arm64,win32-x64)
//
// Nothing is published: run `npm pack` or `npm publish` in the directories.

const fs = require("fs");
const path = require("path");
const native = require("../lib/native");

const SDK_DIR = path.resolve(__dirname, "..");
const SDK_PKG = JSON.parse(fs.readFileSync(path.join(SDK_DIR, "package.json"), "utf8"));
const DEFAULT_PLATFORMS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64"];

class PackError extends Error {}

function parse(argv) {
  const o = {};
  const args = argv.slice();
  while (args.length) {
    const a = args.shift();
    const value = () => {
      if (!args.length) throw new PackError(`${a} needs a value`);
      return args.shift();
    };
    if (a === "--binary") o.binary = value();
    else if (a === "--platform") o.platform = value();
    else if (a === "--arch") o.arch = value();
    else if (a === "--version") o.version = value();
    else if (a === "--out") o.out = value();
    else if (a === "--sdk") o.sdk = true;
    else if (a === "--engine") o.engine = value();
    else if (a === "--no-engine") o.engine = null;
    else if (a === "--platforms") o.platforms = value().split(",").filter(Boolean);
    else if (a === "-h" || a === "--help") o.help = true;
    else throw new PackError(`unknown argument ${a}`);
  }
  return o;
}

/** The executable format a platform runs. */
function formatOf(file) {
  const b = Buffer.alloc(4);
  const fd = fs.openSync(file, "r");
  try {
    fs.readSync(fd, b, 0, 4, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (b[0] === 0x7f && b.toString("latin1", 1, 4) === "ELF") return "elf";
  if (b[0] === 0x4d && b[1] === 0x5a) return "pe";
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(b.readUInt32BE(0))) return "macho";
  return "unknown";
}

const EXPECTED_FORMAT = { linux: "elf", android: "elf", freebsd: "elf", darwin: "macho", win32: "pe" };

/** Writes <out>/plugin-cli-<platform>-<arch>/; returns its path. */
function packPlatform(o) {
  const platform = o.platform || process.platform;
  const arch = o.arch || process.arch;
  const version = o.version || SDK_PKG.version;
  const binary = o.binary ? path.resolve(o.binary) : native.findNative().path;
  if (!fs.existsSync(binary)) throw new PackError(`binary ${binary} does not exist`);
  const fmt = formatOf(binary);
  if (EXPECTED_FORMAT[platform] && fmt !== EXPECTED_FORMAT[platform]) {
    throw new PackError(`${binary} is a ${fmt} executable, not one for ${platform} (${EXPECTED_FORMAT[platform]})`);
  }
  const name = native.platformPackage(platform, arch);
  const exe = platform === "win32" ? "owncast-plugin.exe" : "owncast-plugin";
  const dir = path.join(path.resolve(o.out || path.join(SDK_DIR, "dist", "npm")), `plugin-cli-${platform}-${arch}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
  fs.copyFileSync(binary, path.join(dir, "bin", exe));
  fs.chmodSync(path.join(dir, "bin", exe), 0o755);
  // The shared JS engine next to the binary, where it looks for it, so that
  // `<slug>.js` plugins (owncast-plugin build --script) load too.
  const engine = o.engine === undefined ? path.join(SDK_DIR, "engine", "dist", "owncast-js-engine.wasm") : o.engine;
  const withEngine = engine && fs.existsSync(engine);
  if (withEngine) fs.copyFileSync(engine, path.join(dir, "bin", "owncast-js-engine.wasm"));
  const pkg = {
    name,
    version,
    description: `The owncast-plugin command (Owncast plugin runtime: test, serve, package) for ${platform} ${arch}. Installed by @owncast/plugin-sdk.`,
    license: SDK_PKG.license || "MIT",
    os: [platform],
    cpu: [arch],
    files: ["bin/"],
    preferUnplugged: true,
  };
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  fs.writeFileSync(
    path.join(dir, "README.md"),
    `# ${name}\n\nThe native \`owncast-plugin\` binary for ${platform} ${arch}, used by\n` +
      "[`@owncast/plugin-sdk`](https://www.npmjs.com/package/@owncast/plugin-sdk) for\n" +
      "`owncast-plugin test`, `serve` and `package`. Install the SDK rather than this package.\n"
  );
  return { dir, name, version, size: fs.statSync(binary).size, engine: withEngine ? engine : null };
}

function copyRecursive(from, to) {
  const st = fs.statSync(from);
  if (st.isDirectory()) {
    fs.mkdirSync(to, { recursive: true });
    for (const f of fs.readdirSync(from)) copyRecursive(path.join(from, f), path.join(to, f));
  } else {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
    fs.chmodSync(to, st.mode & 0o777);
  }
}

/** Writes <out>/plugin-sdk/: the SDK's published files + optionalDependencies. */
function stageSdk(o) {
  const version = o.version || SDK_PKG.version;
  const dir = path.join(path.resolve(o.out || path.join(SDK_DIR, "dist", "npm")), "plugin-sdk");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of (SDK_PKG.files || []).concat(["README.md"])) {
    const from = path.join(SDK_DIR, entry);
    if (!fs.existsSync(from)) throw new PackError(`the SDK's ${entry} is missing (build the engine: tools/build-js-engine.sh)`);
    copyRecursive(from, path.join(dir, entry));
  }
  const pkg = JSON.parse(JSON.stringify(SDK_PKG));
  pkg.version = version;
  delete pkg.devDependencies;
  delete pkg.scripts;
  pkg.optionalDependencies = {};
  for (const p of o.platforms || DEFAULT_PLATFORMS) {
    const [platform, arch] = p.split("-");
    pkg.optionalDependencies[native.platformPackage(platform, arch)] = version;
  }
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  return { dir, name: pkg.name, version };
}

function main(argv) {
  try {
    const o = parse(argv);
    if (o.help) {
      console.log(fs.readFileSync(__filename, "utf8").split("\n").filter((l) => l.startsWith("//")).map((l) => l.slice(3)).join("\n"));
      return 0;
    }
    const p = packPlatform(o);
    console.log(`${p.name}@${p.version}: ${path.relative(process.cwd(), p.dir) || p.dir} (binary ${p.size} bytes${p.engine ? ", with the shared JS engine" : ""})`);
    if (o.sdk) {
      const s = stageSdk(o);
      console.log(`${s.name}@${s.version}: ${path.relative(process.cwd(), s.dir) || s.dir}`);
    }
    return 0;
  } catch (e) {
    if (e instanceof PackError || e instanceof native.NativeNotFound) {
      console.error(`pack-native: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

module.exports = { packPlatform, stageSdk, formatOf };
