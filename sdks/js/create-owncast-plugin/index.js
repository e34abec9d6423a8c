#!/usr/bin/env node
"use strict";
// create-owncast-plugin: starts a new Owncast plugin project.
//
//   npm init owncast-plugin my-plugin
//   npx create-owncast-plugin my-plugin [--typescript | --python] [--name "My Plugin"]
//
// Writes package.json, src/plugin.js (or .ts), plugin.manifest.json,
// __tests__/plugin.test.json, README.md and .gitignore. The project depends
// on @owncast/plugin-sdk; --sdk <path> (or $OWNCAST_PLUGIN_SDK) points it at
// a local checkout of the SDK instead of the registry, e.g. inside the plugin
// runtime repository: --sdk sdks/js.

const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const VERSION = require("./package.json").version;
const SLUG_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

const USAGE = `usage: create-owncast-plugin <directory> [options]
       npm init owncast-plugin <directory> -- [options]

Creates an Owncast plugin project in <directory> (its name is the slug).

options:
  --name <text>      display name (default: from the directory name)
  --slug <slug>      plugin slug (default: the directory name, lowercased)
  --typescript, --ts src/plugin.ts and a tsconfig.json instead of src/plugin.js
  --python           a Python project (src/plugin.py), made by the Python SDK:
                     $OWNCAST_PYTHON (default python3) -m owncast_plugin new
  --sdk <path|spec>  where @owncast/plugin-sdk comes from: a local directory
                     (a file: dependency, no registry needed) or an npm
                     version range (default: $OWNCAST_PLUGIN_SDK, else ^${VERSION})
  --install          run npm install afterwards
  --force            write into a directory that is not empty
  -h, --help         this text`;

class UsageError extends Error {}

function parse(argv) {
  const opts = { dir: null };
  const args = argv.slice();
  while (args.length) {
    const a = args.shift();
    const value = () => {
      if (!args.length || args[0].startsWith("--")) throw new UsageError(`${a} needs a value`);
      return args.shift();
    };
    if (a === "--name") opts.name = value();
    else if (a === "--slug") opts.slug = value();
    else if (a === "--sdk") opts.sdk = value();
    else if (a === "--typescript" || a === "--ts") opts.typescript = true;
    else if (a === "--python") opts.python = true;
    else if (a === "--install") opts.install = true;
    else if (a === "--force") opts.force = true;
    else if (a === "-h" || a === "--help") opts.help = true;
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else if (opts.dir === null) opts.dir = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  return opts;
}

/** "My Cool_Plugin!" -> "my-cool-plugin". */
function slugify(text) {
  return String(text)
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** "my-cool-plugin" -> "My Cool Plugin". */
function titleize(slug) {
  return slug
    .split("-")
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(" ");
}

/** The dependency spec for the SDK, relative to the project when it is a local directory. */
function sdkSpec(sdk, projectDir) {
  if (!sdk) return `^${VERSION}`;
  if (/^(file|link|npm|git|git\+\w+|https?):/.test(sdk)) return sdk;
  const local = path.resolve(sdk);
  const looksLikePath = sdk.startsWith(".") || sdk.startsWith("/") || sdk.includes(path.sep) || fs.existsSync(local);
  if (looksLikePath) {
    const pkg = path.join(local, "package.json");
    let name = null;
    try {
      name = JSON.parse(fs.readFileSync(pkg, "utf8")).name;
    } catch (e) {
      throw new UsageError(`--sdk ${sdk}: ${pkg} is not readable`);
    }
    if (name !== "@owncast/plugin-sdk") throw new UsageError(`--sdk ${sdk}: ${pkg} is ${name}, not @owncast/plugin-sdk`);
    let rel = path.relative(projectDir, local).split(path.sep).join("/");
    if (!rel.startsWith(".")) rel = `./${rel}`;
    return `file:${rel}`;
  }
  return sdk; // a version or range
}

function files({ slug, name, typescript, sdk }) {
  const pkg = {
    name: slug,
    version: "0.1.0",
    private: true,
    description: `${name}: an Owncast plugin`,
    scripts: {
      build: "owncast-plugin build",
      // the JSON scenarios, then the JavaScript ones (upstream's harness)
      test: "owncast-plugin build && owncast-plugin test && node __tests__/plugin.test.js",
      serve: "owncast-plugin build && owncast-plugin serve",
      package: "owncast-plugin build && owncast-plugin package",
    },
    dependencies: { "@owncast/plugin-sdk": sdk },
  };
  const manifest = {
    api: "1",
    name,
    slug,
    version: "0.1.0",
    description: `${name} answers !hello in chat.`,
    permissions: ["chat.send"],
    bot: { displayName: name },
  };
  const source = typescript
    ? `import { definePlugin, owncast, type ChatMessage } from "@owncast/plugin-sdk";

// Handlers are named after the events they receive; the SDK derives the
// plugin's subscriptions from them. Each owncast.* call needs its permission
// in plugin.manifest.json (owncast.chat.send needs "chat.send").
export default definePlugin({
  onChatMessage(msg: ChatMessage) {
    if (msg.user.isBot) return;
    if (msg.body.trim() === "!hello") {
      owncast.chat.send(\`Hello, \${msg.user.displayName}! 👋\`);
    }
  },
});
`
    : `const { definePlugin, owncast } = require("@owncast/plugin-sdk");

// Handlers are named after the events they receive; the SDK derives the
// plugin's subscriptions from them. Each owncast.* call needs its permission
// in plugin.manifest.json (owncast.chat.send needs "chat.send").
module.exports = definePlugin({
  onChatMessage(msg) {
    if (msg.user.isBot) return;
    if (msg.body.trim() === "!hello") {
      owncast.chat.send(\`Hello, \${msg.user.displayName}! 👋\`);
    }
  },
});
`;
  const msg = (id, body, user = { id: "u-alice", displayName: "alice" }) => ({
    id,
    user,
    body,
    timestamp: "2024-01-01T00:00:00Z",
  });
  const tests = [
    {
      name: "answers !hello",
      events: [{ event: "chat.message.received", payload: msg("m1", "!hello") }],
      expect: { chatSends: ["Hello, alice! 👋"] },
    },
    {
      name: "stays quiet otherwise",
      events: [
        { event: "chat.message.received", payload: msg("m1", "hello there") },
        { event: "chat.message.received", payload: msg("m2", "!hello", { id: "bot", displayName: name, isBot: true }) },
      ],
      expect: { chatSends: [] },
    },
  ];
  const jsTests = `// Scenario tests written in JavaScript: the same format as
// plugin.test.json, built with code (helpers, loops, computed payloads).
// runScenarios runs them against the built plugin through the plugin
// runtime, like \`owncast-plugin test\` runs the JSON files.
const { runScenarios } = require("@owncast/plugin-sdk/testing");

const chat = (id, user, body) => ({
  event: "chat.message.received",
  payload: { id, user: { id: \`u-\${user}\`, displayName: user }, body, timestamp: "2024-01-01T00:00:00Z" },
});

runScenarios([
  ...["alice", "bob"].map((user) => ({
    name: \`answers \${user}\`,
    events: [chat("m1", user, "!hello")],
    expect: { chatSends: [\`Hello, \${user}! 👋\`] },
  })),
  {
    name: "ignores other messages",
    events: [chat("m2", "carol", "hello !hello")],
    expect: { chatSends: [] },
  },
]);
`;
  const instructions = `# ${name}

Answers \`!hello\` in chat with a greeting to the person who asked.

## Setup

Nothing to configure: enable the plugin and type \`!hello\` in chat.

## Permissions

- **chat.send**: to post the greeting as the plugin's bot.
`;
  const agents = `# Working on this plugin

An Owncast plugin built with \`@owncast/plugin-sdk\`.

- Code: \`${typescript ? "src/plugin.ts" : "src/plugin.js"}\`. Handlers are named after events
  (\`onChatMessage\`, \`filterChatMessage\`, \`onHttpRequest\`, \`on: {...}\` for custom
  events); the SDK derives the subscriptions from them.
- Every \`owncast.*\` call needs its permission in \`plugin.manifest.json\`;
  \`npm run build\` fails when one is missing and names it.
- HTML you build from chat text, config or other sites must be escaped
  (\`escapeHtml\` from the SDK).
- Tests: \`__tests__/*.test.json\` and \`__tests__/plugin.test.js\`; \`npm test\`
  builds and runs both. Add a scenario for every behaviour you add.
- \`npm run serve\` runs it locally; \`npm run package\` makes the \`.ocpkg\`.
- \`INSTRUCTIONS.md\` is what the admin reads when installing: keep it current.
`;
  const skill = `---
name: owncast-plugin-${typescript ? "ts" : "js"}
description: "Change or extend this Owncast plugin (${name}): handlers, owncast.* calls, manifest permissions, scenario tests, packaging."
---

# Working on ${name}

1. Read \`${typescript ? "src/plugin.ts" : "src/plugin.js"}\` and \`plugin.manifest.json\`. Handlers are named after
   events (\`onChatMessage\`, \`filterChatMessage\`, \`onStreamStarted\`,
   \`onHttpRequest\`, \`commands: {...}\`, \`on: {"custom.type"() {}}\`).
2. Every \`owncast.*\` call needs its permission in the manifest's
   \`permissions\` (\`chat.send\`, \`storage.kv\`, \`network.fetch\` with
   \`network.allowedHosts\`, ...). \`npm run build\` names any that are missing.
3. Escape anything you did not write before putting it into HTML
   (\`escapeHtml\` from \`@owncast/plugin-sdk\`).
4. Describe each new behaviour as a scenario in \`__tests__/\` (JSON files, or
   \`plugin.test.js\` with \`runScenarios\`) and run \`npm test\` until it passes.
5. Keep \`INSTRUCTIONS.md\` true for the admin who installs the plugin.
6. \`npm run package\` writes \`${slug}.ocpkg\`, the file to upload in Owncast's admin.
`;
  const src = typescript ? "src/plugin.ts" : "src/plugin.js";
  const readme = `# ${name}

An [Owncast](https://owncast.online) plugin. It answers \`!hello\` in chat.

| file | what |
| --- | --- |
| \`${src}\` | the plugin: handlers such as \`onChatMessage\`, \`filterChatMessage\`, \`onHttpRequest\` |
| \`plugin.manifest.json\` | name, slug, version and the permissions the plugin's calls need |
| \`__tests__/*.test.json\` | scenario tests: events in, expected effects out |
| \`__tests__/plugin.test.js\` | the same kind of scenarios written in JavaScript (\`runScenarios\`) |
| \`INSTRUCTIONS.md\` | setup notes the admin sees when installing the plugin |
| \`AGENTS.md\` | notes for coding assistants working on the project |
| \`public/\` (optional) | static files served at \`/plugins/${slug}/\` (needs \`http.serve\`) |

    npm install
    npm run build     # ${slug}.wasm
    npm test          # build, then run the scenarios against the built plugin
    npm run serve     # try it at http://localhost:8080/plugins/${slug}/
    npm run package   # ${slug}.ocpkg: upload it on Owncast's plugins page

Handlers, \`owncast.*\` calls and their permissions, and the scenario format
are described in the README of \`@owncast/plugin-sdk\`.
`;
  const out = {
    "package.json": JSON.stringify(pkg, null, 2) + "\n",
    "plugin.manifest.json": JSON.stringify(manifest, null, 2) + "\n",
    [src]: source,
    "__tests__/plugin.test.json": JSON.stringify(tests, null, 2) + "\n",
    "__tests__/plugin.test.js": jsTests,
    "README.md": readme,
    "INSTRUCTIONS.md": instructions,
    "AGENTS.md": agents,
    [`.agents/skills/owncast-plugin-${typescript ? "ts" : "js"}/SKILL.md`]: skill,
    ".gitignore": [
      "node_modules/",
      "# build outputs",
      `${slug}.wasm`,
      `${slug}.js`,
      `${slug}.manifest.json`,
      "*.ocpkg",
      "",
    ].join("\n"),
  };
  if (typescript) {
    out["tsconfig.json"] =
      JSON.stringify(
        {
          compilerOptions: {
            target: "ES2022",
            module: "ESNext",
            moduleResolution: "Bundler",
            strict: true,
            noEmit: true,
            types: [],
          },
          include: ["src"],
        },
        null,
        2
      ) + "\n";
  }
  return out;
}

/** Creates the project; returns {dir, slug, written: [relative paths]}. */
function create(opts) {
  if (!opts.dir) throw new UsageError("missing <directory>");
  const dir = path.resolve(opts.dir);
  const slug = opts.slug || slugify(path.basename(dir));
  if (!SLUG_RE.test(slug)) {
    throw new UsageError(
      `"${slug}" is not a valid plugin slug (lowercase letters, digits and "-"): pick another directory name or pass --slug`
    );
  }
  const name = opts.name || titleize(slug);
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new UsageError(`${opts.dir} exists and is not a directory`);
    const existing = fs.readdirSync(dir).filter((f) => f !== ".git");
    if (existing.length && !opts.force) {
      throw new UsageError(`${opts.dir} is not empty (${existing.slice(0, 3).join(", ")}...); use --force to write into it`);
    }
  }
  const sdk = sdkSpec(opts.sdk || process.env.OWNCAST_PLUGIN_SDK, dir);
  const out = files({ slug, name, typescript: !!opts.typescript, sdk });
  for (const [rel, text] of Object.entries(out)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return { dir, slug, name, sdk, written: Object.keys(out) };
}

/** A Python project: the Python SDK's own scaffolder (one template, there). */
function createPython(opts) {
  if (!opts.dir) throw new UsageError("missing <directory>");
  for (const [flag, set] of [["--typescript", opts.typescript], ["--sdk", opts.sdk], ["--install", opts.install]]) {
    if (set) throw new UsageError(`${flag} does not apply to --python`);
  }
  const python = process.env.OWNCAST_PYTHON || "python3";
  const args = ["-m", "owncast_plugin", "new", opts.dir];
  if (opts.name) args.push("--name", opts.name);
  if (opts.slug) args.push("--slug", opts.slug);
  if (opts.force) args.push("--force");
  const res = spawnSync(python, args, { stdio: ["ignore", "inherit", "pipe"], encoding: "utf8" });
  if (res.error) throw new UsageError(`--python: could not run ${python}: ${res.error.message}`);
  if (/No module named owncast_plugin/.test(res.stderr || "")) {
    throw new UsageError(
      `--python: ${python} has no Python SDK (owncast_plugin): pip install sdks/python from the plugin runtime, or set OWNCAST_PYTHON`
    );
  }
  process.stderr.write(res.stderr || "");
  return res.status === 0 ? 0 : 1;
}

function main(argv) {
  let opts;
  try {
    opts = parse(argv);
    if (opts.help) {
      console.log(USAGE);
      return 0;
    }
    if (opts.python) return createPython(opts);
    const r = create(opts);
    const shown = path.relative(process.cwd(), r.dir) || ".";
    console.log(`Created ${r.name} (${r.slug}) in ${shown}:`);
    for (const f of r.written) console.log(`  ${f}`);
    console.log(`@owncast/plugin-sdk: ${r.sdk}`);
    if (opts.install) {
      const npm = process.platform === "win32" ? "npm.cmd" : "npm";
      const res = spawnSync(npm, ["install", "--no-audit", "--no-fund"], { cwd: r.dir, stdio: "inherit" });
      if (res.status !== 0) {
        console.error("npm install failed; run it again in the project directory");
        return 1;
      }
    }
    console.log(`\nNext:\n  cd ${shown}\n${opts.install ? "" : "  npm install\n"}  npm test`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`create-owncast-plugin: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

module.exports = { create, slugify, sdkSpec, files };
