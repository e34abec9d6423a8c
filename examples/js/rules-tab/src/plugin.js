// rules-tab: community rules an admin writes once and viewers meet three ways:
// a viewer-page tab (rendered by onTabContent from a small, safe Markdown
// subset), the !rules chat command, and an optional prompt to accept them
// before chatting (onPageScripts + onPageStyles).
//
//   GET /admin/api/rules   {tabName, title, description, footer, requireAcceptance, rules}
//   PUT /admin/api/rules   the same object: checked, saved, 204
//
// /admin/* is an admin page in the manifest, so the host lets only admins
// reach it (the editor is public/admin/index.html). Storage (storage.kv):
// `rules` (JSON list of strings), `settings` (JSON object), `updatedAt`
// (ISO time of the last change to the list).
const { definePlugin, owncast, escapeHtml } = require("@owncast/plugin-sdk");

const DEFAULTS = Object.freeze({
  tabName: "Rules",
  title: "Community rules",
  description: "",
  footer: "",
  requireAcceptance: false,
});
// Field -> longest accepted text.
const LIMITS = { tabName: 40, title: 120, description: 2000, footer: 2000 };
const MAX_RULES = 50;
const MAX_RULE_LENGTH = 1000;
// The tab's title in the manifest: what the page script looks for to rename it.
const MANIFEST_TAB_TITLE = "Rules";
const EMPTY = "No rules have been published yet.";
const NEED_A_RULE = "Add at least one rule before requiring viewers to accept them.";

// ---------------------------------------------------------------------------
// Stored state

function readJSON(key, fallback) {
  const value = owncast.kv.getJSON(key, fallback);
  return value === null || value === undefined ? fallback : value;
}

function loadRules() {
  const list = readJSON("rules", []);
  return Array.isArray(list) ? list.filter((r) => typeof r === "string" && r.trim()).map((r) => r.trim()) : [];
}

/** The saved settings over the defaults; a stored field of the wrong type is ignored. */
function loadSettings() {
  const stored = readJSON("settings", {});
  const s = { ...DEFAULTS };
  if (!stored || typeof stored !== "object") return s;
  for (const k of Object.keys(LIMITS)) if (typeof stored[k] === "string") s[k] = stored[k];
  if (typeof stored.requireAcceptance === "boolean") s.requireAcceptance = stored.requireAcceptance;
  if (!s.tabName.trim()) s.tabName = DEFAULTS.tabName;
  if (!s.title.trim()) s.title = DEFAULTS.title;
  return s;
}

// ---------------------------------------------------------------------------
// Markdown, the small part rules need: paragraphs, line breaks, **strong**,
// *emphasis*, `code`, [links](https://...). Everything else is text, so raw
// HTML comes out escaped; a link that is not http(s) or mailto keeps its text
// and loses the link.

function safeHref(url) {
  return /^(https?:\/\/|mailto:)/i.test(url) ? url : null;
}

function inline(src) {
  let out = "";
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === "\\" && i + 1 < src.length && "\\`*_[]()".includes(src[i + 1])) {
      out += escapeHtml(src[i + 1]);
      i += 2;
      continue;
    }
    if (c === "`") {
      const end = src.indexOf("`", i + 1);
      if (end > i + 1) {
        out += `<code>${escapeHtml(src.slice(i + 1, end))}</code>`;
        i = end + 1;
        continue;
      }
    }
    if (src.startsWith("**", i)) {
      const end = src.indexOf("**", i + 2);
      if (end > i + 2) {
        out += `<strong>${inline(src.slice(i + 2, end))}</strong>`;
        i = end + 2;
        continue;
      }
    }
    if (c === "*" && src[i + 1] !== " ") {
      const end = src.indexOf("*", i + 1);
      if (end > i + 1 && src[end - 1] !== " ") {
        out += `<em>${inline(src.slice(i + 1, end))}</em>`;
        i = end + 1;
        continue;
      }
    }
    if (c === "[") {
      // the URL may hold one level of balanced parentheses, as Markdown allows
      const m = /^\[([^\]]+)\]\(((?:[^()\s]|\([^()\s]*\))*)\)/.exec(src.slice(i));
      if (m) {
        const href = safeHref(m[2]);
        const text = inline(m[1]);
        out += href ? `<a href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer">${text}</a>` : text;
        i += m[0].length;
        continue;
      }
    }
    out += escapeHtml(c);
    i += 1;
  }
  return out;
}

/** Paragraphs (split on blank lines), lines inside one joined by <br>. */
function blocks(src) {
  return String(src)
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p>${p.split("\n").map((line) => inline(line.trim())).join("<br>")}</p>`)
    .join("");
}

// ---------------------------------------------------------------------------
// What viewers see

const MONTHS = "January February March April May June July August September October November December".split(" ");

/** "2026-08-01T00:31:00Z" -> "August 1, 2026" (UTC); "" when unset or not a time. */
function dateLabel(iso) {
  const d = new Date(iso || "");
  if (isNaN(d.getTime())) return "";
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
}

const two = (n) => String(n).padStart(2, "0");

const TAB_CSS = `
.owncast-rules { max-width: 44rem; margin: 0 auto; padding: 1rem; line-height: 1.5; }
.owncast-rules h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
.owncast-rules__muted { opacity: .75; }
.owncast-rules__list { list-style: none; padding: 0; margin: 1rem 0; }
.owncast-rules__item { display: flex; gap: .75rem; padding: .75rem 0; border-top: 1px solid rgba(127,127,127,.25); }
.owncast-rules__number { font-weight: 700; min-width: 2ch; }
.owncast-rules__item p { margin: 0; }`;

function tabHtml() {
  const s = loadSettings();
  const rules = loadRules();
  const parts = [`<main class="owncast-rules"><style>${TAB_CSS}</style>`, `<h1>${inline(s.title)}</h1>`];
  if (s.description.trim()) parts.push(`<div class="owncast-rules__muted">${blocks(s.description)}</div>`);
  if (rules.length) {
    parts.push('<ol class="owncast-rules__list">');
    rules.forEach((rule, i) => {
      parts.push(
        `<li class="owncast-rules__item"><span class="owncast-rules__number" aria-hidden="true">${two(i + 1)}</span>` +
          `<div>${blocks(rule)}</div></li>`
      );
    });
    parts.push("</ol>");
  } else {
    parts.push(`<div><h2>${EMPTY}</h2><p class="owncast-rules__muted">Check back before joining the conversation.</p></div>`);
  }
  if (s.footer.trim()) parts.push(`<div class="owncast-rules__muted">${blocks(s.footer)}</div>`);
  const updated = dateLabel(owncast.kv.get("updatedAt"));
  if (updated) parts.push(`<p class="owncast-rules__muted">Last updated ${updated}</p>`);
  parts.push("</main>");
  return parts.join("\n");
}

/** The rules as one chat message (Owncast's chat renders Markdown). */
function chatText() {
  const rules = loadRules();
  if (!rules.length) return EMPTY;
  const lines = rules.map((rule, i) => `**${two(i + 1)}.** ${rule}  `);
  return `**${loadSettings().tabName}:**\n\n${lines.join("\n")}`;
}

/** A value as a JS literal that is safe inside an HTML <script> element too. */
function jsLiteral(value) {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** FNV-1a of the rules: a viewer who accepted one list is asked again when it changes. */
function rulesVersion(rules) {
  let h = 0x811c9dc5;
  const text = JSON.stringify(rules);
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16);
}

// The page script: renames the tab to the admin's name and marks it (so the
// stylesheet can hide it while there are no rules); with acceptance on, shows
// the rules in a dialog until the viewer accepts this version of them.
function pageScript() {
  const s = loadSettings();
  const rules = loadRules();
  const gate = s.requireAcceptance && rules.length > 0;
  const lines = [
    "(function () {",
    `  var label = ${jsLiteral(s.tabName)};`,
    `  var names = ${jsLiteral([MANIFEST_TAB_TITLE, s.tabName])};`,
    "  function markTab() {",
    "    var buttons = document.querySelectorAll('.ant-tabs-tab-btn');",
    "    for (var i = 0; i < buttons.length; i++) {",
    "      var b = buttons[i];",
    "      if (!b.hasAttribute('data-owncast-rules-tab') && names.indexOf(b.textContent.trim()) === -1) continue;",
    "      b.setAttribute('data-owncast-rules-tab', '');",
    "      if (b.textContent !== label) b.textContent = label;",
    "    }",
    "  }",
    "  markTab();",
    "  new MutationObserver(markTab).observe(document.documentElement, { childList: true, subtree: true });",
  ];
  if (gate) {
    const body =
      `<h2>${inline(s.title)}</h2>${s.description.trim() ? blocks(s.description) : ""}<ol>` +
      rules.map((r) => `<li>${blocks(r)}</li>`).join("") +
      "</ol>";
    lines.push(
      "  var key = 'owncast-rules-accepted-version';",
      `  var version = ${jsLiteral(rulesVersion(rules))};`,
      "  var stored = null;",
      "  try { stored = window.localStorage.getItem(key); } catch (e) {}",
      "  if (stored === version) return;",
      "  function showGate() {",
      "    if (document.getElementById('owncast-rules-gate')) return;",
      "    var gate = document.createElement('div');",
      "    gate.id = 'owncast-rules-gate';",
      "    gate.setAttribute('role', 'dialog');",
      "    gate.setAttribute('aria-modal', 'true');",
      "    var box = document.createElement('div');",
      "    box.className = 'owncast-rules-gate__box';",
      `    box.innerHTML = ${jsLiteral(body)};`,
      "    var accept = document.createElement('button');",
      "    accept.type = 'button';",
      "    accept.textContent = 'I accept';",
      "    accept.onclick = function () {",
      "      try { window.localStorage.setItem(key, version); } catch (e) {}",
      "      gate.remove();",
      "    };",
      "    box.appendChild(accept);",
      "    gate.appendChild(box);",
      "    document.body.appendChild(gate);",
      "    accept.focus();",
      "  }",
      "  if (document.body) showGate(); else document.addEventListener('DOMContentLoaded', showGate);"
    );
  }
  lines.push("})();");
  return lines.join("\n");
}

const GATE_CSS = `#owncast-rules-gate { position: fixed; inset: 0; z-index: 10000; display: flex; align-items: center; justify-content: center; background: rgba(0, 0, 0, .6); }
#owncast-rules-gate .owncast-rules-gate__box { max-width: 36rem; max-height: 80vh; overflow: auto; padding: 1.5rem; border-radius: 8px; background: var(--theme-color-background-main, #fff); color: var(--theme-color-text-main, #111); }
#owncast-rules-gate button { margin-top: 1rem; padding: .5rem 1rem; cursor: pointer; }`;

function pageStyles() {
  const rules = loadRules();
  if (!rules.length) return ".ant-tabs-tab:has([data-owncast-rules-tab]) { display: none !important; }";
  return loadSettings().requireAcceptance ? GATE_CSS : "";
}

// ---------------------------------------------------------------------------
// Admin API

function current() {
  const s = loadSettings();
  return { ...s, rules: loadRules() };
}

/** The settings and rules a PUT body asks for, or {error}. */
function fromBody(body) {
  if (!body || typeof body !== "object" || Array.isArray(body)) return { error: "The request body must be a JSON object." };
  const settings = {};
  for (const k of Object.keys(LIMITS)) {
    const v = body[k] === undefined || body[k] === null ? "" : body[k];
    if (typeof v !== "string") return { error: `${k} must be text.` };
    if (v.trim().length > LIMITS[k]) return { error: `${k} is longer than ${LIMITS[k]} characters.` };
    settings[k] = v.trim() || (k === "tabName" || k === "title" ? DEFAULTS[k] : "");
  }
  const accept = body.requireAcceptance === undefined ? false : body.requireAcceptance;
  if (typeof accept !== "boolean") return { error: "requireAcceptance must be true or false." };
  settings.requireAcceptance = accept;
  const list = body.rules === undefined ? [] : body.rules;
  if (!Array.isArray(list) || list.some((r) => typeof r !== "string")) return { error: "rules must be a list of texts." };
  const rules = list.map((r) => r.trim());
  if (rules.some((r) => !r)) return { error: "Each rule needs text, or remove it." };
  if (rules.length > MAX_RULES) return { error: `At most ${MAX_RULES} rules.` };
  const long = rules.findIndex((r) => r.length > MAX_RULE_LENGTH);
  if (long !== -1) return { error: `Rule ${long + 1} is longer than ${MAX_RULE_LENGTH} characters.` };
  if (accept && !rules.length) return { error: NEED_A_RULE };
  return { settings, rules };
}

function save({ settings, rules }) {
  const listChanged = JSON.stringify(rules) !== JSON.stringify(loadRules());
  owncast.kv.setJSON("rules", rules);
  owncast.kv.setJSON("settings", settings);
  if (listChanged) owncast.kv.set("updatedAt", new Date().toISOString());
}

const text = (status, body) => ({ status, headers: { "content-type": "text/plain; charset=utf-8" }, body });

function adminApi(req) {
  if (req.method === "GET") {
    return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(current()) };
  }
  if (req.method !== "PUT") return { status: 405, headers: { allow: "GET, PUT" }, body: "method not allowed" };
  let body;
  try {
    body = JSON.parse(req.body || "");
  } catch (_) {
    return text(400, "The request body is not valid JSON.");
  }
  const parsed = fromBody(body);
  if (parsed.error) return text(400, parsed.error);
  save(parsed);
  return { status: 204 };
}

module.exports = definePlugin({
  commands: {
    rules: {
      description: "Show the community rules",
      cooldownMs: 10000,
      run(ctx) {
        ctx.reply(chatText());
      },
    },
  },

  onTabContent(req) {
    if (req && req.slug && req.slug !== "rules") return "";
    return tabHtml();
  },

  onPageScripts: pageScript,
  onPageStyles: pageStyles,

  onHttpRequest(req) {
    if (req.path === "/admin/api/rules") return adminApi(req);
    return text(404, "not found");
  },
});
