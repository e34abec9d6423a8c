"use strict";
// Executes docs/PLUGIN_AUTHOR_GUIDE.md, so the guide cannot rot: every `sh`
// block runs, in document order, as one bash session (`-euo pipefail`) in an
// empty scratch directory, and every block whose info string has
// `file=<relative path>` is written to that path when the session reaches
// it. Offline: npm runs with `--offline` semantics, cargo with
// CARGO_NET_OFFLINE, the host listens on a free loopback port. It reuses
// what the rest of the build made: this SDK's engine wasm, the native
// `owncast-plugin` in target/debug, through tools/guest-env.sh the guest
// build folder target-guest (for the Rust component) and through
// tools/python-env.sh the Python toolchain in target/python (for the Python
// component; set up by tools/test-all.sh before these tests). A block that
// fails fails the test with its line in the guide and the session's output.
//
// Needs the engine and the native binary, like cli.test.js: it fails
// without them unless OWNCAST_SKIP_MISSING_GUESTS=1.

const test = require("node:test");
const assert = require("node:assert");
const fs = require("fs");
const net = require("net");
const os = require("os");
const path = require("path");
const { spawn } = require("child_process");

const { findEngine } = require("../lib/build");
const native = require("../lib/native");

const SDK = path.resolve(__dirname, "..");
const ROOT = path.resolve(SDK, "..", "..");
const GUIDE = path.join(ROOT, "docs", "PLUGIN_AUTHOR_GUIDE.md");
const REQUIRE = process.env.OWNCAST_SKIP_MISSING_GUESTS !== "1";

/** The fenced blocks of a markdown text: {lang, file, body, line}. */
function blocks(text) {
  const out = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i]);
    if (i >= lines.length) throw new Error(`${GUIDE}:${start + 1}: code block never closed`);
    const file = /(?:^|\s)file=(\S+)/.exec(open[2]);
    out.push({ lang: open[1], file: file ? file[1] : null, body: body.join("\n") + "\n", line: start + 1 });
  }
  return out;
}

/** The bash session that runs the guide's blocks in order. */
function session(list) {
  const parts = [
    // Harness only: report the failing block and end what the guide started.
    'trap \'echo "guide block at line ${OWNCAST_GUIDE_LINE:-?} failed" >&2\' ERR',
    'trap \'kill $(jobs -p) 2>/dev/null || true\' EXIT',
  ];
  for (const b of list) {
    if (b.file) {
      if (path.isAbsolute(b.file) || b.file.split("/").includes("..")) {
        throw new Error(`${GUIDE}:${b.line}: file=${b.file} must be a relative path inside the scratch directory`);
      }
      const tag = `OWNCAST_GUIDE_EOF_${b.line}`;
      assert.ok(!b.body.includes(tag), `${GUIDE}:${b.line}: block contains ${tag}`);
      parts.push(
        `OWNCAST_GUIDE_LINE=${b.line}`,
        `mkdir -p "$OWNCAST_GUIDE_DIR/$(dirname '${b.file}')"`,
        `cat > "$OWNCAST_GUIDE_DIR/${b.file}" <<'${tag}'\n${b.body}${tag}`
      );
    } else if (b.lang === "sh") {
      parts.push(`OWNCAST_GUIDE_LINE=${b.line}`, `echo "--- guide line ${b.line}"`, b.body);
    }
  }
  return parts.join("\n") + "\n";
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function have(fn) {
  try {
    fn();
    return true;
  } catch (e) {
    return false;
  }
}
const ready = have(() => native.findNative()) && have(() => findEngine());
const skip = ready || REQUIRE ? false : "engine or native owncast-plugin not built";

test("the guide's blocks are found: shell commands and files", () => {
  const list = blocks(fs.readFileSync(GUIDE, "utf8"));
  const sh = list.filter((b) => b.lang === "sh" && !b.file);
  const files = list.filter((b) => b.file);
  assert.ok(sh.length >= 10, `only ${sh.length} sh blocks`);
  assert.ok(files.some((b) => b.file === "hello-bot/src/plugin.js"));
  assert.ok(files.some((b) => b.file === "hello-rs/src/lib.rs"));
  assert.ok(files.some((b) => b.file === "hello-py/src/plugin.py"));
  // the harness itself: a failing block fails the session, naming its line
  const s = session(blocks("x\n```sh\ntrue\n```\n\n```txt file=a/b.txt\nhi\n```\n\n```sh\ngrep -q hi a/b.txt\nfalse\n```\n"));
  assert.match(s, /OWNCAST_GUIDE_LINE=6\n/);
  assert.match(s, /OWNCAST_GUIDE_LINE=10\n/);
  assert.throws(() => session([{ lang: "sh", file: "../x", body: "", line: 3 }]), /must be a relative path/);
});

test("docs/PLUGIN_AUTHOR_GUIDE.md runs as written", { skip, timeout: 30 * 60 * 1000 }, async () => {
  const list = blocks(fs.readFileSync(GUIDE, "utf8"));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "owncast-guide-"));
  try {
    const script = path.join(dir, ".guide.sh");
    fs.writeFileSync(script, session(list));
    const prefix = path.join(dir, ".npm-global");
    const env = Object.assign({}, process.env, {
      OWNCAST_REPO: ROOT,
      OWNCAST_GUIDE_DIR: dir,
      PORT: String(await freePort()),
      PATH: `${path.join(prefix, "bin")}${path.delimiter}${process.env.PATH}`,
      npm_config_prefix: prefix,
      npm_config_offline: "true",
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
      CARGO_NET_OFFLINE: "true",
    });
    const r = await new Promise((resolve) => {
      const child = spawn("bash", ["-euo", "pipefail", script], { cwd: dir, env, detached: true });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      child.on("close", (code) => {
        // anything the session left running (its EXIT trap ends its jobs)
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch (e) {
          /* already gone */
        }
        resolve({ code, out });
      });
    });
    assert.strictEqual(r.code, 0, `the guide failed (scratch ${dir}):\n${r.out.slice(-6000)}`);
    // the session reached the end and made what the guide promises
    for (const f of ["hello-bot/hello-bot.ocpkg", "hello-rs/hello-rs.ocpkg", "hello-py/hello-py.ocpkg", "caps/shouting/shouting.wasm"]) {
      assert.ok(fs.existsSync(path.join(dir, f)), f);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
