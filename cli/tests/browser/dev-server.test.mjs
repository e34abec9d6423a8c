// Browser test of the dev server page (`owncast-plugin serve`): a real
// chromium (Debian's, driven by playwright-core) uses the page the way an
// author does: chat as a viewer, send an event, watch the plugin's answers,
// see the preview, see reloads and load errors.
//
// Needs: the CLI binary (OWNCAST_PLUGIN_BIN, default target/debug/owncast-plugin),
// the built echo-bot component (examples/rust/echo-bot/echo-bot.wasm) and
// chromium (CHROMIUM, default /usr/bin/chromium). run.sh prepares all three.

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

let server, base, context, page, dir, profile;
const output = [];

function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(BIN, ["serve", dir, "--listen", "127.0.0.1:0"], { env: { ...process.env, NO_COLOR: "1" } });
    const timer = setTimeout(() => reject(new Error("dev server did not start:\n" + output.join(""))), 60_000);
    server.stderr.on("data", (d) => output.push(d.toString()));
    server.stdout.on("data", (d) => {
      output.push(d.toString());
      const m = /dev page\s+(http:\/\/[^\s/]+)\//.exec(output.join(""));
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on("exit", (code) => reject(new Error(`dev server exited (${code}):\n${output.join("")}`)));
  });
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "owncast-dev-page-"));
  fs.copyFileSync(path.join(EXAMPLE, "plugin.manifest.json"), path.join(dir, "plugin.manifest.json"));
  fs.copyFileSync(path.join(EXAMPLE, "echo-bot.wasm"), path.join(dir, "echo-bot.wasm"));
  fs.mkdirSync(path.join(dir, "public"));
  fs.writeFileSync(path.join(dir, "public/index.html"), "<!doctype html><h1 id='hello'>preview page</h1>");
  base = await startServer();
  profile = fs.mkdtempSync(path.join(os.tmpdir(), "owncast-chromium-profile-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = context.pages()[0] || (await context.newPage());
  page.on("pageerror", (e) => output.push("page error: " + e.message + "\n"));
});

after(async () => {
  await context?.close();
  server?.kill();
  for (const d of [dir, profile]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

test("the page shows the loaded plugin", async () => {
  await page.goto(base + "/");
  assert.equal(new URL(page.url()).pathname, "/_dev/");
  await page.locator("#plugin-name", { hasText: "Echo Bot" }).waitFor();
  await page.locator("#status", { hasText: "running" }).waitFor();
  assert.equal(await page.textContent("#kind"), "component");
  assert.match(await page.textContent("#plugin-info"), /permissions: chat\.send/);
  assert.equal(await page.isVisible("#banner"), false);
});

test("chatting as a viewer shows the plugin's answer", async () => {
  await page.fill("#chat-user", "bob");
  await page.fill("#chat-body", "hello from the browser");
  await page.click("#chat-send");
  await page.locator("#chat-log li.viewer", { hasText: "hello from the browser" }).waitFor();
  const reply = page.locator("#chat-log li.plugin", { hasText: "bob said: hello from the browser" });
  await reply.waitFor();
  assert.equal(await reply.locator(".who").textContent(), "EchoBot");
  assert.equal(await page.inputValue("#chat-body"), "", "the input is cleared");
});

test("chat text is shown as text, never as HTML", async () => {
  const evil = "<img src=x onerror=\"window.__owned=1\">";
  await page.fill("#chat-body", evil);
  await page.press("#chat-body", "Enter");
  await page.locator("#chat-log li.plugin", { hasText: "bob said: <img" }).waitFor();
  assert.equal(await page.locator("#chat-log img").count(), 0);
  assert.equal(await page.evaluate(() => window.__owned), undefined);
});

test("the event form sends any event to the plugin", async () => {
  await page.selectOption("#event-type", "chat.message.received");
  const payload = { id: "e1", user: { id: "u-carol", displayName: "carol" }, body: "via the event form", timestamp: "2024-01-01T00:00:00Z" };
  await page.fill("#event-payload", JSON.stringify(payload));
  await page.click("#event-send");
  await page.locator("#event-result", { hasText: "delivered chat.message.received" }).waitFor();
  await page.locator("#chat-log li.plugin", { hasText: "carol said: via the event form" }).waitFor();
  // The plugin's subscription is marked in the list.
  assert.match(await page.locator("#event-type option[value='chat.message.received']").textContent(), /subscribed/);

  await page.fill("#event-payload", "{not json");
  await page.click("#event-send");
  await page.locator("#event-result", { hasText: "payload is not JSON" }).waitFor();

  await page.selectOption("#event-type", "stream.started");
  await page.fill("#event-payload", JSON.stringify({ title: 5 }));
  await page.click("#event-send");
  await page.locator("#event-result", { hasText: "error: payload of event `stream.started` does not fit its record" }).waitFor();
});

test("the preview shows the plugin's pages", async () => {
  assert.equal(await page.textContent("#preview-url"), "/plugins/echo-bot/");
  const frame = page.frameLocator("#preview");
  await frame.locator("#hello", { hasText: "preview page" }).waitFor();
});

test("a new build is reloaded, and a broken one is reported while the old one keeps running", async () => {
  const wasm = path.join(dir, "echo-bot.wasm");
  const good = fs.readFileSync(wasm);
  const before = Number(await page.textContent("#generation"));
  const now = new Date();
  fs.utimesSync(wasm, now, new Date(now.getTime() + 5000));
  await page.waitForFunction((n) => Number(document.querySelector("#generation").textContent) > n, before, { timeout: 20_000 });

  fs.writeFileSync(wasm, Buffer.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0, 1, 2, 3]));
  const banner = page.locator("#banner");
  await banner.waitFor({ state: "visible", timeout: 20_000 });
  assert.match(await banner.textContent(), /echo-bot\.wasm/);
  // The previous version still answers.
  await page.fill("#chat-body", "still there?");
  await page.click("#chat-send");
  await page.locator("#chat-log li.plugin", { hasText: "bob said: still there?" }).waitFor();

  fs.writeFileSync(wasm, good);
  await banner.waitFor({ state: "hidden", timeout: 20_000 });

  // The reload button reloads at once.
  const gen = Number(await page.textContent("#generation"));
  await page.click("#reload");
  await page.waitForFunction((n) => Number(document.querySelector("#generation").textContent) > n, gen, { timeout: 20_000 });
  assert.deepEqual(output.filter((l) => l.startsWith("page error")), []);
});
