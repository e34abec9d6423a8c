// Browser test of the admin Plugins page (`owncast-plugin run`, page at
// /admin/plugins/): a real chromium (Debian's, driven by playwright-core)
// logs in with the admin's Basic credentials, uploads packages, reviews and
// approves permissions, edits settings, watches strikes and metrics, deletes;
// and a plugin whose strings carry script never gets it run.
//
// Test plugins are JavaScript scripts for the shared JS engine
// (sdks/js/engine/dist/owncast-js-engine.wasm, tools/build-js-engine.sh),
// packaged with `owncast-plugin package`. Screenshots of the main states go
// to cli/tests/browser/screenshots/ (gitignored).
//
// Needs: the CLI binary (OWNCAST_PLUGIN_BIN), the JS engine, chromium
// (CHROMIUM). run.sh prepares them.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../../..");
const BIN = process.env.OWNCAST_PLUGIN_BIN || path.join(ROOT, "target/debug/owncast-plugin");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const ENGINE = path.join(ROOT, "sdks/js/engine/dist/owncast-js-engine.wasm");
const SHOTS = path.join(HERE, "screenshots");
const PASSWORD = "browser-test-pw";

let server, base, browser, context, page, work;
const output = [];

// A plugin in the shared-engine form (Extism ABI): serves its `greeting`
// setting over HTTP, passes chat through its filter, and throws on "crash".
const SCRIPT = `
module.exports = {
  register() {
    const m = JSON.parse(Config.get("manifest"));
    Host.outputString(JSON.stringify({ slug: m.slug, name: m.name, version: m.version, permissions: m.permissions, subscriptions: m.subscriptions }));
  },
  on_filter() {
    const e = JSON.parse(Host.inputString());
    if (e.payload.body.includes("crash")) throw new TypeError("cannot read the message: " + e.payload.body);
    Host.outputString(JSON.stringify({ action: "pass" }));
  },
  on_http_request() {
    Host.outputString(JSON.stringify({ status: 200, headers: { "content-type": "text/plain" }, body: "greeting=" + Config.get("greeting") + " times=" + Config.get("times") }));
  },
};
`;

function pkg(name, manifest, extra = {}) {
  const dir = path.join(work, "src-" + name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "plugin.manifest.json"), JSON.stringify({ api: "1", ...manifest }, null, 2));
  fs.writeFileSync(path.join(dir, `${manifest.slug}.js`), SCRIPT);
  for (const [f, body] of Object.entries(extra)) fs.writeFileSync(path.join(dir, f), body);
  const out = path.join(work, `${name}.ocpkg`);
  execFileSync(BIN, ["package", dir, "--out", out], { stdio: "pipe" });
  return out;
}

const greeter = (version, permissions, hosts) => ({
  name: "Greeter",
  slug: "greeter",
  version,
  description: "Answers with its greeting.",
  permissions,
  ...(hosts ? { network: { allowedHosts: hosts } } : {}),
  subscriptions: { notify: [], filter: [{ event: "chat.message.received" }] },
  config: {
    greeting: { type: "string", default: "hello", description: "What the plugin says." },
    times: { type: "integer", default: 1, description: "How many times." },
  },
});

function startServer(plugins, data) {
  return new Promise((resolve, reject) => {
    server = spawn(BIN, ["run", "--plugins", plugins, "--data", data, "--listen", "127.0.0.1:0", "--rescan", "1"], {
      env: { ...process.env, NO_COLOR: "1", OWNCAST_ADMIN_PASSWORD: PASSWORD, OWNCAST_JS_ENGINE: ENGINE },
    });
    const timer = setTimeout(() => reject(new Error("host did not start:\n" + output.join(""))), 60_000);
    server.stderr.on("data", (d) => output.push(d.toString()));
    server.stdout.on("data", (d) => {
      output.push(d.toString());
      const m = /Owncast plugin host on (http:\/\/\S+)/.exec(output.join(""));
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on("exit", (code) => reject(new Error(`host exited (${code}):\n${output.join("")}`)));
  });
}

const shot = (name) => page.screenshot({ path: path.join(SHOTS, name + ".png"), fullPage: true });
const plugin = (slug) => page.locator(`#ocp-plugin-${slug}`);
const say = (body) =>
  page.request.post(base + "/api/admin/simulate/chat", { data: { user: "bob", body }, headers: { Origin: base } });

before(async () => {
  assert.ok(fs.existsSync(ENGINE), `${ENGINE} is not built: run tools/build-js-engine.sh`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "owncast-admin-page-"));
  fs.mkdirSync(SHOTS, { recursive: true });
  const plugins = path.join(work, "plugins");
  fs.mkdirSync(plugins);
  // A plugin already installed and approved at start, which will fail its filter.
  fs.copyFileSync(pkg("crasher", { ...greeter("1.0.0", ["chat.filter"]), name: "Crasher", slug: "crasher", config: {} }), path.join(plugins, "crasher.ocpkg"));
  const data = path.join(work, "data");
  fs.mkdirSync(data);
  fs.writeFileSync(
    path.join(data, "plugins.json"),
    JSON.stringify({ version: 1, plugins: { crasher: { enabled: true, approved: ["chat.filter"], approvedVersion: "1.0.0" } } })
  );
  base = await startServer(plugins, data);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test("the page needs the admin's login", async () => {
  const anon = await browser.newContext();
  const r = await anon.request.get(base + "/admin/plugins/");
  assert.equal(r.status(), 401);
  assert.match(r.headers()["www-authenticate"], /Basic/);
  await anon.close();
  const wrong = await browser.newContext({ httpCredentials: { username: "admin", password: "nope" } });
  assert.equal((await wrong.request.get(base + "/api/admin/plugins")).status(), 401);
  await wrong.close();

  context = await browser.newContext({ httpCredentials: { username: "admin", password: PASSWORD } });
  page = await context.newPage();
  page.on("pageerror", (e) => output.push("page error: " + e.message + "\n"));
  page.on("dialog", (d) => {
    output.push("dialog: " + d.message() + "\n");
    d.dismiss();
  });
  await page.goto(base + "/admin/plugins/");
  await page.locator("#ocp-live", { hasText: "Live" }).waitFor();
  await plugin("crasher").locator(".ocp-status", { hasText: "enabled" }).waitFor();
  await shot("01-list");
});

test("an invalid upload shows its error inline", async () => {
  const bad = path.join(work, "broken.ocpkg");
  fs.writeFileSync(bad, "this is not a zip");
  await page.setInputFiles("#ocp-file", bad);
  const err = page.locator("#ocp-upload-error");
  await err.waitFor({ state: "visible" });
  assert.match(await err.textContent(), /broken\.ocpkg: /);
  await shot("02-upload-error");
});

test("upload, review and approve, then it is enabled and answering", async () => {
  await page.setInputFiles("#ocp-file", pkg("greeter-1", greeter("1.0.0", ["chat.filter", "http.serve"])));
  const p = plugin("greeter");
  await p.locator(".ocp-review").waitFor({ state: "visible" });
  assert.equal(await page.locator("#ocp-upload-error").isVisible(), false);
  assert.match(await p.locator(".ocp-new-perms").textContent(), /chat\.filter.*http\.serve/);
  assert.equal(await p.locator(".ocp-new-perms .ocp-added").count(), 2, "both permissions are new");
  assert.equal(await page.evaluate(() => document.activeElement.className), "ocp-approve", "focus moves to the approval");
  await shot("03-review");
  await page.keyboard.press("Enter");
  await p.locator(".ocp-status", { hasText: "enabled" }).waitFor();
  await p.locator(".ocp-review").waitFor({ state: "hidden" });
  const r = await page.request.get(base + "/plugins/greeter/hi");
  assert.equal(await r.text(), "greeting=hello times=1");
  await shot("04-enabled");
});

test("a version asking for more shows the difference and waits for approval", async () => {
  await page.setInputFiles("#ocp-file", pkg("greeter-2", greeter("1.1.0", ["chat.filter", "http.serve", "network.fetch"], ["api.example.com"])));
  const p = plugin("greeter");
  await p.locator(".ocp-review").waitFor({ state: "visible" });
  await p.locator(".ocp-version", { hasText: "v1.1.0" }).waitFor();
  assert.deepEqual(await p.locator(".ocp-new-perms .ocp-added").allTextContents(), ["network.fetch"]);
  assert.deepEqual(await p.locator(".ocp-old-perms .ocp-chip").allTextContents(), ["chat.filter", "http.serve"]);
  assert.deepEqual(await p.locator(".ocp-new-hosts .ocp-added").allTextContents(), ["api.example.com"]);
  assert.equal(await p.locator(".ocp-old-hosts").textContent(), "none");
  assert.equal((await page.request.get(base + "/plugins/greeter/hi")).status(), 503, "not running until approved");
  await shot("05-permission-diff");
  await p.locator(".ocp-approve").click();
  await p.locator(".ocp-status", { hasText: "enabled" }).waitFor();
});

test("a version adding only an outgoing host also waits for approval", async () => {
  const perms = ["chat.filter", "http.serve", "network.fetch"];
  await page.setInputFiles("#ocp-file", pkg("greeter-3", greeter("1.2.0", perms, ["api.example.com", "cdn.example.org"])));
  const p = plugin("greeter");
  await p.locator(".ocp-review").waitFor({ state: "visible" });
  await p.locator(".ocp-version", { hasText: "v1.2.0" }).waitFor();
  assert.deepEqual(await p.locator(".ocp-new-perms .ocp-added").allTextContents(), []);
  assert.deepEqual(await p.locator(".ocp-new-hosts .ocp-added").allTextContents(), ["cdn.example.org"]);
  assert.equal((await page.request.get(base + "/plugins/greeter/hi")).status(), 503, "not running until approved");
  await p.locator(".ocp-approve").click();
  await p.locator(".ocp-status", { hasText: "enabled" }).waitFor();
  await p.locator(".ocp-review").waitFor({ state: "hidden" });
});

test("settings: a validation error inline, then a value the plugin reads", async () => {
  const p = plugin("greeter");
  await p.locator(".ocp-config-box summary").click();
  const times = p.locator("input[name='times']");
  await times.waitFor();
  assert.equal(await p.locator("label[for='ocp-greeter-cfg-times']").textContent(), "times");
  await times.fill("2.5");
  await p.locator("input[name='greeting']").fill("good evening");
  await p.locator(".ocp-config button[type='submit']").click();
  const err = p.locator(".ocp-field[data-key='times'] .ocp-field-error");
  await err.waitFor({ state: "visible" });
  assert.match(await err.textContent(), /times.*integer/);
  assert.equal(await times.getAttribute("aria-invalid"), "true");
  await shot("06-config-error");
  assert.equal(await (await page.request.get(base + "/plugins/greeter/hi")).text(), "greeting=hello times=1", "nothing saved");
  await times.fill("3");
  await p.locator(".ocp-config button[type='submit']").click();
  await p.locator(".ocp-config-status", { hasText: "Saved" }).waitFor();
  assert.equal(await err.isVisible(), false);
  assert.equal(await (await page.request.get(base + "/plugins/greeter/hi")).text(), "greeting=good evening times=3");
});

test("metrics change after chat traffic", async () => {
  const p = plugin("greeter");
  await p.locator(".ocp-metrics-box summary").click();
  const calls = p.locator("[data-metric='calls'] dd");
  const filterCalls = async () => Number((await calls.textContent()).split(" / ")[0]);
  const before = await filterCalls();
  for (let i = 0; i < 3; i++) assert.equal((await say("hello " + i)).status(), 200);
  // The page is told by its event stream; no reload.
  await page.waitForFunction(
    ([sel, b]) => Number(document.querySelector(sel).textContent.split(" / ")[0]) >= b + 3,
    ["#ocp-plugin-greeter [data-metric='calls'] dd", before]
  );
  assert.equal(await filterCalls(), before + 3);
  assert.match(await p.locator("[data-metric='outcomes'] dd").textContent(), /^[1-9]\d* \/ 0 \/ 0$/);
  assert.notEqual(await p.locator("[data-metric='p50'] dd").textContent(), "–");
  const prom = await page.request.get(base + "/api/admin/metrics");
  assert.equal(prom.status(), 200);
  assert.match(await prom.text(), /owncast_plugin_calls_total\{plugin="greeter",kind="filter"\} [1-9]/);
  await shot("07-metrics");
});

test("a plugin disabled after strikes shows why", async () => {
  for (let i = 0; i < 5; i++) await say("crash " + i);
  const p = plugin("crasher");
  await p.locator(".ocp-status", { hasText: "disabled after strikes" }).waitFor();
  const err = p.locator(".ocp-last-error");
  assert.match(await err.textContent(), /Disabled: disabled after 5 consecutive failures; last: on_filter: .*TypeError: cannot read the message: crash 4/);
  await shot("08-strikes");
});

test("disable, then delete with its data", async () => {
  const p = plugin("greeter");
  await p.locator(".ocp-disable").click();
  await p.locator(".ocp-status", { hasText: "disabled" }).waitFor();
  assert.equal((await page.request.get(base + "/plugins/greeter/hi")).status(), 503);
  assert.equal(await p.locator(".ocp-confirm").isVisible(), false, "no confirmation before asking");
  await p.locator(".ocp-delete").click();
  await p.locator(".ocp-confirm").waitFor({ state: "visible" });
  assert.equal(await page.evaluate(() => document.activeElement.className), "ocp-cancel-delete", "focus on the safe choice");
  await p.locator(".ocp-delete-data").check();
  await shot("09-delete-confirm");
  await p.locator(".ocp-confirm-delete").click();
  await p.waitFor({ state: "detached" });
  await page.locator("#ocp-upload-result", { hasText: "Deleted Greeter and its stored data" }).waitFor();
  // Its settings went with it: a new install starts from the defaults.
  await page.setInputFiles("#ocp-file", pkg("greeter-1b", greeter("1.0.0", ["chat.filter", "http.serve"])));
  await plugin("greeter").locator(".ocp-approve").click();
  await plugin("greeter").locator(".ocp-status", { hasText: "enabled" }).waitFor();
  assert.equal(await (await page.request.get(base + "/plugins/greeter/hi")).text(), "greeting=hello times=1");
});

test("script in a plugin's strings and instructions never runs", async () => {
  const evil = '<img src=x onerror="window.__owned=1">';
  const manifest = {
    ...greeter("1.0.0", ["chat.filter"]),
    slug: "evil",
    name: "Evil " + evil,
    description: "desc <script>window.__owned=2</script>",
    config: { greeting: { type: "string", default: "hi", description: "cfg " + evil.replace("1", "3") } },
  };
  const md = "# Setup\n\nRead **this**.\n\n<script>window.__owned=4</script>\n\n<img src=x onerror=\"window.__owned=5\">\n\n[click](javascript:window.__owned=6)\n";
  await page.setInputFiles("#ocp-file", pkg("evil", manifest, { "INSTRUCTIONS.md": md }));
  const p = plugin("evil");
  await p.waitFor();
  assert.equal(await p.locator(".ocp-name").textContent(), manifest.name, "the name is shown as text");
  await p.locator(".ocp-config-box summary").click();
  await p.locator(".ocp-field .ocp-help", { hasText: "cfg <img" }).waitFor();
  await p.locator(".ocp-instructions-box summary").click();
  await p.locator(".ocp-instructions h1", { hasText: "Setup" }).waitFor();
  assert.equal(await p.locator(".ocp-instructions strong").textContent(), "this");
  assert.equal(await p.locator(".ocp-instructions script").count(), 0);
  assert.equal(await p.locator(".ocp-instructions [onerror]").count(), 0);
  assert.equal(await p.locator(".ocp-instructions a[href^='javascript']").count(), 0);
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__owned), undefined);
  await shot("10-untrusted-strings");
});

test("usable at phone width", async () => {
  await page.setViewportSize({ width: 375, height: 740 });
  await page.reload();
  await plugin("greeter").waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  // Keyboard: the file input is reachable and buttons follow in order.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "ocp-file");
  await shot("11-phone");
  assert.deepEqual(output.filter((l) => l.startsWith("page error") || l.startsWith("dialog")), []);
});
