"use strict";
// Build-time check that plugin.manifest.json grants what the plugin's code
// calls: every `owncast.<area>.<fn>` written in the author's sources is looked
// up in the SDK runtime's own table (read from index.js, where each host call
// names its permission), and reported with file, line and column when the
// manifest lacks the permission. Static, so it sees calls written out as
// `owncast.kv.get(...)`, not ones reached through aliases.

const fs = require("fs");
const path = require("path");

const SDK_ENTRY = path.resolve(__dirname, "..", "index.js");

let table = null;
/** {"chat.send": "chat.send", "kv.get": "storage.kv", ...}: owncast.* API -> permission. */
function apiPermissions() {
  if (table) return table;
  const src = fs.readFileSync(SDK_ENTRY, "utf8");
  table = {};
  const re = /\b(?:call|need|jsonCall|sqlCall)\("([a-z.]+)", "owncast\.([A-Za-z]+\.[A-Za-z]+)"/g;
  let m;
  while ((m = re.exec(src))) table[m[2]] = m[1];
  // deprecated aliases need what the name they stand for needs
  const deprecated = require(SDK_ENTRY)._internal.deprecated;
  for (const alias of Object.keys(deprecated)) {
    if (table[deprecated[alias]]) table[alias] = table[deprecated[alias]];
  }
  return table;
}

/**
 * `text` with comments, string and template-literal text and regular
 * expression literals replaced by spaces (newlines kept), so offsets and
 * line numbers stay valid while only code remains.
 */
function codeOnly(text) {
  const out = text.split("");
  const blank = (from, to) => {
    for (let i = from; i < to && i < out.length; i++) if (out[i] !== "\n") out[i] = " ";
  };
  const n = text.length;
  let i = 0;
  let lastSignificant = ""; // for telling a regex from a division
  const braces = []; // per open `{`: true when it opened a template `${`
  const regexAfter = /[(,=:[!&|?{};+\-*%<>~^]/;
  const keywordBefore = /\b(?:return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await)\s*$/;
  while (i < n) {
    const c = text[i];
    const d = text[i + 1];
    if (c === "/" && d === "/") {
      const end = text.indexOf("\n", i);
      const stop = end === -1 ? n : end;
      blank(i, stop);
      i = stop;
      continue;
    }
    if (c === "/" && d === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? n : end + 2;
      blank(i, stop);
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
      lastSignificant = c;
      continue;
    }
    if (c === "`" || (c === "}" && braces.length && braces[braces.length - 1])) {
      if (c === "}") braces.pop();
      // template text up to the closing backtick or the next `${`
      let j = i + 1;
      while (j < n && text[j] !== "`" && !(text[j] === "$" && text[j + 1] === "{")) j += text[j] === "\\" ? 2 : 1;
      blank(i + 1, j);
      if (text[j] === "$") {
        braces.push(true);
        i = j + 2;
        lastSignificant = "{";
      } else {
        i = j + 1;
        lastSignificant = "`";
      }
      continue;
    }
    if (c === "/") {
      const before = text.slice(Math.max(0, i - 12), i);
      if (lastSignificant === "" || regexAfter.test(lastSignificant) || keywordBefore.test(before)) {
        let j = i + 1;
        let inClass = false;
        while (j < n && text[j] !== "\n") {
          if (text[j] === "\\") j += 2;
          else if (text[j] === "[") (inClass = true), j++;
          else if (text[j] === "]") (inClass = false), j++;
          else if (text[j] === "/" && !inClass) break;
          else j++;
        }
        blank(i + 1, j);
        i = j + 1;
        lastSignificant = "/";
        continue;
      }
    }
    if (c === "{") braces.push(false);
    else if (c === "}") braces.pop();
    if (!/\s/.test(c)) lastSignificant = c;
    i++;
  }
  return out.join("");
}

/**
 * [{api, permission, file, line, column}] for each owncast.* call in the text.
 * With `opts.commandReplies` (the plugin has a `commands` table) a command
 * context's `x.reply(...)` and `x.replyPrivately(...)` count too: the SDK
 * answers them with owncast.chat.send.
 */
function findCalls(text, file, opts = {}) {
  const perms = apiPermissions();
  const code = codeOnly(text);
  const calls = [];
  const at = (index) => {
    const upto = code.slice(0, index);
    return { line: upto.split("\n").length, column: index - upto.lastIndexOf("\n") };
  };
  const re = /\bowncast\s*\.\s*([A-Za-z]+)\s*\.\s*([A-Za-z]+)/g;
  let m;
  while ((m = re.exec(code))) {
    const api = `${m[1]}.${m[2]}`;
    const permission = perms[api];
    if (!permission) continue;
    calls.push({ api: `owncast.${api}`, permission, file, ...at(m.index) });
  }
  if (opts.commandReplies) {
    const replies = /\b([A-Za-z_$][\w$]*)\s*\.\s*(reply|replyPrivately)\s*\(/g;
    while ((m = replies.exec(code))) {
      if (m[1] === "owncast") continue;
      calls.push({ api: `${m[1]}.${m[2]} (a command reply)`, permission: perms["chat.send"], file, ...at(m.index) });
    }
  }
  return calls;
}

/**
 * Checks the author's sources (from the bundle's source map: sources and
 * sourcesContent, without the SDK and node_modules) against the manifest.
 * Returns {missing: [call...], unused: [permission...]}.
 */
function checkSources(map, manifest, opts = {}) {
  const granted = new Set(manifest.permissions || []);
  const missing = [];
  const used = new Set();
  (map.sources || []).forEach((source, i) => {
    if (source.startsWith("@owncast/plugin-sdk") || source.includes("node_modules/")) return;
    if (source === "owncast-plugin-entry.js" || source.endsWith("/owncast-plugin-entry.js")) return;
    const text = map.sourcesContent && map.sourcesContent[i];
    if (typeof text !== "string") return;
    for (const call of findCalls(text, source, opts)) {
      used.add(call.permission);
      if (!granted.has(call.permission)) missing.push(call);
    }
  });
  const callable = new Set(Object.values(apiPermissions()));
  const unused = [...granted].filter((p) => callable.has(p) && !used.has(p));
  return { missing, unused };
}

module.exports = { apiPermissions, codeOnly, findCalls, checkSources };
