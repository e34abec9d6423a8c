// Browser test of the plugin sandbox (`owncast-plugin run`): a plugin page
// whose script tries to use the admin's cached Basic credentials on the
// admin API, in a real chromium where the admin has logged in. The page runs
// in an opaque origin (CSP sandbox), so its calls are cross-origin: the
// state change is refused and the admin data cannot be read, while the page
// can still read its own plugin's files. And a plugin admin page written the
// upstream way (`fetch("./...")` to its own admin endpoints) still works,
// through the capability link the host redirects the admin to.
//
// Needs what dev-server.test.mjs needs (run.sh prepares it).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const BIN = process.env.OWNCAST_PLUGIN_BIN || path.join(ROOT, "target/debug/owncast-plugin");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const EXAMPLE = path.join(ROOT, "examples/rust/echo-bot");
const PASSWORD = "sandbox-test-pw";
const AUTH = "Basic " + Buffer.from("admin:" + PASSWORD).toString("base64");
const OVERLAY = path.join(ROOT, "examples/js/overlay");

// An admin page of the overlay plugin calling its own (admin-only) API.
const ADMIN_PAGE = `<!doctype html><title>admin page</title><pre id="out">running</pre>
<script>
(async () => {
  const out = [];
  for (const [name, init] of [["get", {}], ["post", { method: "POST", body: "{}" }]]) {
    try {
      const r = await fetch("messages", init);
      out.push(name + ": " + r.status + " " + (await r.text()).slice(0, 80));
    } catch (e) {
      out.push(name + ": blocked " + e.name);
    }
  }
  out.push("path: " + location.pathname);
  document.getElementById("out").textContent = out.join("\\n");
  document.title = "done";
})();
</script>`;

// What a hostile plugin page would try.
const ATTACK = `<!doctype html><title>attack</title><pre id="out">running</pre>
<script>
(async () => {
  const out = [];
  async function attempt(name, url, init) {
    try {
      const r = await fetch(url, init);
      out.push(name + ": " + r.status + " " + (await r.text()).slice(0, 120));
    } catch (e) {
      out.push(name + ": blocked " + e.name);
    }
  }
  await attempt("disable", "/api/admin/plugins/echo-bot/disable",
    { method: "POST", headers: { "content-type": "application/json" }, body: "{}", credentials: "include" });
  await attempt("list", "/api/admin/plugins", { credentials: "include" });
  await attempt("own", "probe.txt");
  try { localStorage.setItem("x", "1"); out.push("storage: usable"); } catch (e) { out.push("storage: " + e.name); }
  out.push("origin: " + self.origin);
  document.getElementById("out").textContent = out.join("\\n");
  document.title = "done";
})();
</script>`;

let server, base, context, dir, profile;
const output = [];

function startServer() {
  return new Promise((resolve, reject) => {
    const args = ["run", "--plugins", path.join(dir, "plugins"), "--data", path.join(dir, "data"), "--listen", "127.0.0.1:0", "--rescan", "0", "--enable-all"];
    server = spawn(BIN, args, { env: { ...process.env, NO_COLOR: "1", OWNCAST_ADMIN_PASSWORD: PASSWORD } });
    const timer = setTimeout(() => reject(new Error("host did not start:\n" + output.join(""))), 60_000);
    server.stderr.on("data", (d) => output.push(d.toString()));
    server.stdout.on("data", (d) => {
      output.push(d.toString());
      const m = /Owncast plugin host on (http:\/\/[^\s/]+)/.exec(output.join(""));
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on("exit", (code) => reject(new Error(`host exited (${code}):\n${output.join("")}`)));
  });
}

async function echoBotStatus() {
  const r = await fetch(base + "/api/admin/plugins/echo-bot", { headers: { authorization: AUTH } });
  assert.equal(r.status, 200);
  return (await r.json()).status;
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "owncast-sandbox-"));
  const plugin = path.join(dir, "plugins/echo-bot");
  fs.mkdirSync(path.join(plugin, "public"), { recursive: true });
  fs.copyFileSync(path.join(EXAMPLE, "plugin.manifest.json"), path.join(plugin, "plugin.manifest.json"));
  fs.copyFileSync(path.join(EXAMPLE, "echo-bot.wasm"), path.join(plugin, "echo-bot.wasm"));
  fs.writeFileSync(path.join(plugin, "public/index.html"), ATTACK);
  fs.writeFileSync(path.join(plugin, "public/probe.txt"), "probe ok");
  // The overlay, with its API declared an admin page and an admin page in public/api/.
  const overlay = path.join(dir, "plugins/overlay");
  fs.cpSync(path.join(OVERLAY, "public"), path.join(overlay, "public"), { recursive: true });
  fs.copyFileSync(path.join(OVERLAY, "overlay.wasm"), path.join(overlay, "overlay.wasm"));
  const manifest = JSON.parse(fs.readFileSync(path.join(OVERLAY, "plugin.manifest.json"), "utf8"));
  manifest.admin = { pages: [{ title: "Messages", path: "api" }] };
  fs.writeFileSync(path.join(overlay, "plugin.manifest.json"), JSON.stringify(manifest));
  fs.mkdirSync(path.join(overlay, "public/api"));
  fs.writeFileSync(path.join(overlay, "public/api/index.html"), ADMIN_PAGE);
  base = await startServer();
  profile = fs.mkdtempSync(path.join(os.tmpdir(), "owncast-chromium-profile-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    httpCredentials: { username: "admin", password: PASSWORD },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await context?.close();
  server?.kill();
  for (const d of [dir, profile]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

test("a plugin page cannot use the admin's credentials on the admin API", async () => {
  assert.equal(await echoBotStatus(), "enabled");
  const page = context.pages()[0] || (await context.newPage());
  // The admin is logged in: the browser holds the Basic credentials for this origin.
  const admin = await page.goto(base + "/api/admin/plugins");
  assert.equal(admin.status(), 200);
  assert.match(await page.textContent("body"), /echo-bot/);

  const res = await page.goto(base + "/plugins/echo-bot/");
  assert.match(res.headers()["content-security-policy"], /^sandbox allow-scripts/);
  await page.waitForFunction(() => document.title === "done", null, { timeout: 20_000 });
  const lines = (await page.textContent("#out")).split("\n");
  const line = (name) => lines.find((l) => l.startsWith(name + ": ")) || "";
  assert.equal(line("origin"), "origin: null", lines.join("\n"));
  assert.equal(line("storage"), "storage: SecurityError", lines.join("\n"));
  // The admin API refused (or the browser never sent it) and the page read nothing.
  assert.match(line("disable"), /^disable: (blocked TypeError|40[13] )/, lines.join("\n"));
  assert.equal(line("list"), "list: blocked TypeError", lines.join("\n"));
  // Its own plugin's files stay readable.
  assert.equal(line("own"), "own: 200 probe ok", lines.join("\n"));
  assert.equal(await echoBotStatus(), "enabled", "the plugin page disabled a plugin");
});

test("a plugin's admin page reaches its own admin endpoints through a capability link", async () => {
  const page = context.pages()[0] || (await context.newPage());
  const res = await page.goto(base + "/plugins/overlay/api/");
  assert.equal(res.status(), 200);
  await page.waitForFunction(() => document.title === "done", null, { timeout: 20_000 });
  const lines = (await page.textContent("#out")).split("\n");
  const line = (name) => lines.find((l) => l.startsWith(name + ": ")) || "";
  assert.match(line("path"), /^path: \/plugins\/overlay\/~[0-9a-f]+-[0-9a-f]+\/api\/$/, lines.join("\n"));
  assert.equal(line("get"), 'get: 200 {"messages":[],"total":0}', lines.join("\n"));
  // The plugin itself answered (its API takes GET only): the request got through as the admin's.
  assert.match(line("post"), /^post: 405 /, lines.join("\n"));
  // Without the link (no credentials, as the sandboxed page would be) the API is closed.
  const r = await fetch(base + "/plugins/overlay/api/messages");
  assert.equal(r.status, 401);
});
