// The admin Plugins page. Plain JavaScript, no build step. Everything a
// plugin supplies (names, descriptions, setting descriptions, errors) is set
// with textContent, never as HTML; only the instructions are HTML, rendered
// and sanitized by the host.
"use strict";
(() => {
  const root = document.getElementById("owncast-plugins-admin");
  if (!root) return;
  const api = new URL(root.dataset.api, document.baseURI).href.replace(/\/$/, "");
  const pluginsBase = new URL(root.dataset.plugins, document.baseURI).href;
  const $ = (sel, el = root) => el.querySelector(sel);
  const nodes = new Map(); // slug -> { li, data, configLoaded }

  const STATUS = {
    enabled: "enabled",
    disabled: "disabled",
    "needs-approval": "needs approval",
    failed: "failed to load",
    "auto-disabled": "disabled after strikes",
  };

  async function call(method, path, body, type) {
    const init = { method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) {
      init.body = body;
      init.headers["Content-Type"] = type || "application/json";
    } else if (method === "POST" || method === "PUT") {
      init.body = "{}";
      init.headers["Content-Type"] = "application/json";
    }
    const r = await fetch(api + path, init);
    let data = null;
    try {
      data = await r.json();
    } catch (_) {
      data = { error: `${r.status} ${r.statusText}` };
    }
    if (!r.ok) {
      const e = new Error((data && data.error) || `${r.status} ${r.statusText}`);
      e.field = data && data.field;
      throw e;
    }
    return data;
  }

  const text = (el, s) => {
    el.textContent = s == null ? "" : String(s);
  };
  const show = (el, on) => {
    el.hidden = !on;
  };
  const bytes = (n) => (n >= 1 << 20 ? (n / (1 << 20)).toFixed(1) + " MiB" : n >= 1024 ? (n / 1024).toFixed(1) + " KiB" : n + " B");
  const ms = (v) => (v == null ? "–" : v < 1 ? v.toFixed(3) + " ms" : v + " ms");

  // ---- list ---------------------------------------------------------------

  function render(list) {
    const seen = new Set();
    const ul = $("#ocp-list");
    list.plugins.forEach((p, i) => {
      seen.add(p.slug);
      let n = nodes.get(p.slug);
      if (!n) {
        n = build(p);
        nodes.set(p.slug, n);
      }
      n.data = p;
      // Move a node only when it is out of place: moving one takes the focus away.
      if (ul.children[i] !== n.li) ul.insertBefore(n.li, ul.children[i] || null);
      update(n);
    });
    for (const [slug, n] of nodes) {
      if (!seen.has(slug)) {
        n.li.remove();
        nodes.delete(slug);
      }
    }
    show($("#ocp-empty"), list.plugins.length === 0);
    const inv = $("#ocp-invalid");
    inv.replaceChildren();
    for (const f of [...(list.invalid || []).map((i) => `${i.file}: ${i.error}`), ...(list.problems || [])]) {
      const p = document.createElement("p");
      p.className = "ocp-error";
      text(p, f);
      inv.appendChild(p);
    }
  }

  function build(p) {
    const li = $("#ocp-plugin-template").content.firstElementChild.cloneNode(true);
    li.dataset.slug = p.slug;
    li.id = "ocp-plugin-" + p.slug;
    const n = { li, data: p, configLoaded: false, instructionsLoaded: false };
    const act = (cls, fn) => $(cls, li).addEventListener("click", () => run(n, fn));
    act(".ocp-enable", () => call("POST", `/${p.slug}/enable`));
    act(".ocp-disable", () => call("POST", `/${p.slug}/disable`));
    act(".ocp-reload", () => call("POST", `/${p.slug}/reload`));
    act(".ocp-approve", () =>
      call(
        "POST",
        `/${p.slug}/approve`,
        JSON.stringify({ permissions: n.data.permissions, allowedHosts: n.data.allowedHosts || [] }),
      )
    );
    $(".ocp-delete", li).addEventListener("click", () => {
      show($(".ocp-confirm", li), true);
      $(".ocp-delete-data", li).checked = false;
      $(".ocp-cancel-delete", li).focus();
    });
    $(".ocp-cancel-delete", li).addEventListener("click", () => {
      show($(".ocp-confirm", li), false);
      $(".ocp-delete", li).focus();
    });
    $(".ocp-confirm-delete", li).addEventListener("click", () =>
      run(n, async () => {
        const data = $(".ocp-delete-data", li).checked ? "?data=true" : "";
        await call("DELETE", `/${p.slug}${data}`);
        li.remove();
        nodes.delete(p.slug);
        announce(`Deleted ${n.data.name}${data ? " and its stored data" : ""}.`);
        return null;
      })
    );
    $(".ocp-config-box", li).addEventListener("toggle", (e) => {
      if (e.target.open && !n.configLoaded) loadConfig(n);
    });
    $(".ocp-instructions-box", li).addEventListener("toggle", (e) => {
      if (e.target.open && !n.instructionsLoaded) loadInstructions(n);
    });
    $(".ocp-config", li).addEventListener("submit", (e) => {
      e.preventDefault();
      saveConfig(n);
    });
    return n;
  }

  async function run(n, fn) {
    const err = $(".ocp-action-error", n.li);
    show(err, false);
    try {
      const info = await fn();
      if (info && info.slug) {
        n.data = info;
        update(n);
      }
    } catch (e) {
      text(err, e.message);
      show(err, true);
    }
  }

  function chips(td, items, against) {
    td.replaceChildren();
    if (!items || items.length === 0) {
      td.textContent = "none";
      return;
    }
    for (const it of items) {
      const s = document.createElement("span");
      s.className = "ocp-chip";
      if (against && !against.includes(it)) s.classList.add("ocp-added");
      text(s, it);
      td.appendChild(s);
    }
  }

  // Permissions or outgoing hosts this version asks for that were not approved.
  function unapproved(p) {
    return (p.unapprovedPermissions || []).length + (p.unapprovedAllowedHosts || []).length > 0;
  }

  function update(n) {
    const p = n.data;
    const li = n.li;
    text($(".ocp-name", li), p.name);
    text($(".ocp-version", li), "v" + p.version);
    text($(".ocp-kind", li), p.kind || (p.source === "package" ? "not running" : p.source));
    const st = $(".ocp-status", li);
    const needsReview = unapproved(p);
    const status = needsReview && p.status !== "enabled" ? "needs-approval" : p.status;
    st.dataset.status = status;
    text(st, STATUS[status] || status);
    li.dataset.status = status;
    text($(".ocp-desc", li), p.description || "");
    const icon = $(".ocp-icon", li);
    if (p.iconUrl) {
      const src = pluginsBase + encodeURIComponent(p.slug) + "/_icon";
      if (icon.getAttribute("src") !== src) icon.src = src;
    }
    show(icon, !!p.iconUrl);

    const errEl = $(".ocp-last-error", li);
    const when = p.health && p.health.lastErrorAtMs ? ` (${new Date(p.health.lastErrorAtMs).toLocaleString()})` : "";
    const err = p.status === "auto-disabled" && p.health ? p.health.disabled : p.lastError;
    text(errEl, err ? (p.status === "auto-disabled" ? "Disabled: " : "Last error: ") + err + when : "");
    show(errEl, !!err);

    // Permission review: approved (old) vs this version (new).
    show($(".ocp-review", li), needsReview);
    if (needsReview) {
      const old = p.approvedPermissions || [];
      chips($(".ocp-old-perms", li), old);
      chips($(".ocp-new-perms", li), p.permissions, old);
      const oldHosts = p.approvedAllowedHosts || [];
      chips($(".ocp-old-hosts", li), oldHosts);
      chips($(".ocp-new-hosts", li), p.allowedHosts, oldHosts);
    }
    show($(".ocp-enable", li), !needsReview && (!p.enabled || p.status === "auto-disabled" || p.status === "failed"));
    show($(".ocp-disable", li), p.enabled);
    text($(".ocp-confirm-name", li), p.name);

    renderMetrics(n);
    const hasConfig = p.manifest && p.manifest.config && Object.keys(p.manifest.config).length > 0;
    show($(".ocp-config-box", li), hasConfig);
    show($(".ocp-instructions-box", li), !!p.instructionsUrl);

    const pages = $(".ocp-pages", li);
    pages.replaceChildren();
    for (const pg of (p.manifest && p.manifest.adminPages) || []) {
      const a = document.createElement("a");
      a.href = pluginsBase + encodeURIComponent(p.slug) + "/" + String(pg.path || "").replace(/^\/+/, "");
      text(a, pg.title || pg.path);
      const item = document.createElement("li");
      item.appendChild(a);
      pages.appendChild(item);
    }
  }

  function renderMetrics(n) {
    const m = n.data.metrics;
    const dl = $(".ocp-metrics", n.li);
    const rows = m
      ? [
          ["calls", "filter / event / http", `${m.calls.filter} / ${m.calls.event} / ${m.calls.http}`],
          ["errors", "errors", m.errors.filter + m.errors.event + m.errors.http],
          ["timeouts", "timeouts", m.timeouts.filter + m.timeouts.event + m.timeouts.http],
          ["strikes", "strikes", m.strikes],
          ["p50", "latency p50", ms(m.latency.p50Ms)],
          ["p99", "latency p99", ms(m.latency.p99Ms)],
          ["outcomes", "pass / modify / drop", `${m.filterOutcomes.pass} / ${m.filterOutcomes.modify} / ${m.filterOutcomes.drop}`],
          ["memory", "instance memory", bytes(m.memoryBytes)],
          ["kv", "KV keys / bytes", `${m.kv.keys} / ${bytes(m.kv.bytes)}`],
          ["http", "HTTP out / denied", `${m.httpOut.requests} / ${m.httpOut.denied}`],
        ]
      : [["none", "metrics", "not run yet"]];
    dl.replaceChildren();
    for (const [key, label, value] of rows) {
      const d = document.createElement("div");
      d.dataset.metric = key;
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      text(dt, label);
      text(dd, value);
      d.append(dt, dd);
      dl.appendChild(d);
    }
  }

  // ---- settings -------------------------------------------------------------

  async function loadConfig(n) {
    const form = $(".ocp-config", n.li);
    try {
      const c = await call("GET", `/${n.data.slug}/config`);
      n.configLoaded = true;
      form.replaceChildren();
      for (const [key, field] of Object.entries(c.schema)) {
        const id = `ocp-${n.data.slug}-cfg-${key}`;
        const wrap = document.createElement("div");
        wrap.className = "ocp-field";
        wrap.dataset.key = key;
        const label = document.createElement("label");
        label.htmlFor = id;
        text(label, key);
        const input = document.createElement("input");
        input.id = id;
        input.name = key;
        input.dataset.type = field.type;
        const value = c.values[key];
        if (field.type === "boolean") {
          input.type = "checkbox";
          input.checked = value === true;
        } else if (field.type === "number" || field.type === "integer") {
          input.type = "number";
          input.step = field.type === "integer" ? "1" : "any";
          input.value = value == null ? "" : String(value);
        } else {
          input.type = "text";
          input.value = value == null ? "" : String(value);
        }
        const described = [];
        if (field.description) {
          const help = document.createElement("p");
          help.className = "ocp-help";
          help.id = id + "-help";
          text(help, field.description);
          described.push(help);
        }
        const err = document.createElement("p");
        err.className = "ocp-error ocp-field-error";
        err.id = id + "-error";
        err.hidden = true;
        input.setAttribute("aria-describedby", [...described.map((d) => d.id), err.id].join(" "));
        wrap.append(label, input, ...described, err);
        form.appendChild(wrap);
      }
      const save = document.createElement("button");
      save.type = "submit";
      save.textContent = "Save settings";
      const status = document.createElement("p");
      status.className = "ocp-note ocp-config-status";
      status.setAttribute("role", "status");
      form.append(save, status);
    } catch (e) {
      form.replaceChildren();
      const p = document.createElement("p");
      p.className = "ocp-error";
      text(p, e.message);
      form.appendChild(p);
    }
  }

  function fieldError(form, key, message) {
    const wrap = [...form.querySelectorAll(".ocp-field")].find((w) => w.dataset.key === key);
    if (!wrap) return false;
    const input = wrap.querySelector("input");
    const err = wrap.querySelector(".ocp-field-error");
    text(err, message);
    show(err, !!message);
    input.setAttribute("aria-invalid", message ? "true" : "false");
    if (message) input.focus();
    return true;
  }

  async function saveConfig(n) {
    const form = $(".ocp-config", n.li);
    const status = $(".ocp-config-status", n.li);
    text(status, "");
    const values = {};
    for (const input of form.querySelectorAll("input")) {
      fieldError(form, input.name, "");
      const t = input.dataset.type;
      if (t === "boolean") values[input.name] = input.checked;
      else if (t === "number" || t === "integer") {
        const raw = input.value.trim();
        if (raw === "" || !Number.isFinite(Number(raw))) {
          fieldError(form, input.name, `${input.name} must be a number`);
          return;
        }
        values[input.name] = Number(raw);
      } else values[input.name] = input.value;
    }
    try {
      await call("PUT", `/${n.data.slug}/config`, JSON.stringify(values));
      text(status, "Saved.");
    } catch (e) {
      if (!(e.field && fieldError(form, e.field, e.message))) text(status, e.message);
    }
  }

  async function loadInstructions(n) {
    const box = $(".ocp-instructions", n.li);
    try {
      const r = await call("GET", `/${n.data.slug}/instructions/rendered`);
      n.instructionsLoaded = true;
      // Rendered from Markdown and sanitized by the host (ammonia).
      box.innerHTML = r.html || "";
    } catch (e) {
      text(box, e.message);
    }
  }

  // ---- upload ---------------------------------------------------------------

  function announce(msg) {
    const r = $("#ocp-upload-result");
    text(r, msg);
    show(r, !!msg);
  }

  async function upload(file) {
    const err = $("#ocp-upload-error");
    show(err, false);
    announce("");
    if (!file) return;
    if (!/\.ocpkg$/i.test(file.name)) {
      text(err, `${file.name}: not a plugin package (.ocpkg)`);
      show(err, true);
      return;
    }
    try {
      const info = await call("POST", "", await file.arrayBuffer(), "application/zip");
      let n = nodes.get(info.slug);
      if (!n) {
        n = build(info);
        nodes.set(info.slug, n);
        $("#ocp-list").appendChild(n.li);
      }
      n.data = info;
      update(n);
      const review = unapproved(info);
      announce(`Uploaded ${info.name} ${info.version}.${review ? " Review its permissions to enable it." : ""}`);
      (review ? $(".ocp-approve", n.li) : $(".ocp-name", n.li)).scrollIntoView({ block: "center" });
      if (review) $(".ocp-approve", n.li).focus();
    } catch (e) {
      text(err, `${file.name}: ${e.message}`);
      show(err, true);
    } finally {
      $("#ocp-file").value = "";
    }
  }

  $("#ocp-file").addEventListener("change", (e) => upload(e.target.files[0]));
  const drop = $("#ocp-drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("ocp-over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("ocp-over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("ocp-over");
    upload(e.dataTransfer.files[0]);
  });

  // ---- live updates ---------------------------------------------------------

  function connect() {
    const es = new EventSource(api + "/_events", { withCredentials: true });
    es.addEventListener("plugins", (e) => {
      text($("#ocp-live"), "Live: changes appear as they happen.");
      render(JSON.parse(e.data));
    });
    es.onerror = () => text($("#ocp-live"), "Disconnected; reconnecting…");
  }
  call("GET", "")
    .then(render)
    .catch((e) => text($("#ocp-live"), e.message));
  connect();
})();
