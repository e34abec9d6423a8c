// file-manager: the storage.fs permission, worked through. An admin page
// lists the files in the plugin's private directory, uploads and deletes
// them. The host confines every owncast.fs path to that directory and gates
// /admin/* to admins before a request reaches the plugin.
//
//   GET  /admin/api/files                 {files: [names]}
//   POST /admin/api/files                 {name, dataBase64} -> {ok, replaced}
//   POST /admin/api/files/delete          {name}             -> {ok}
//   GET  /admin/api/files/download?name=  {name, dataBase64}, 404 when missing
//
// Names are flat: no "/", "\", "." or "..". Binary files cross the JSON API
// as base64, with a small codec of its own (the engine has no atob/btoa).
const { definePlugin, owncast } = require("@owncast/plugin-sdk");

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function toBase64(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
    out += ALPHABET[(n >> 18) & 63] + ALPHABET[(n >> 12) & 63];
    out += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63] : "=";
    out += i + 2 < bytes.length ? ALPHABET[n & 63] : "=";
  }
  return out;
}

function fromBase64(text) {
  const clean = String(text || "").replace(/[^A-Za-z0-9+/]/g, "");
  const out = [];
  let bits = 0;
  let value = 0;
  for (const c of clean) {
    value = (value << 6) | ALPHABET.indexOf(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 255);
    }
  }
  return new Uint8Array(out);
}

function validName(name) {
  return typeof name === "string" && name !== "" && name !== "." && name !== ".." && !/[\\/]/.test(name);
}

const json = (status, body) => ({ status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

function parseBody(req) {
  try {
    return JSON.parse(req.body || "");
  } catch (e) {
    return null;
  }
}

function upload(req) {
  const body = parseBody(req);
  if (!body) return json(400, { ok: false, error: "invalid JSON" });
  if (!validName(body.name)) return json(400, { ok: false, error: "invalid file name" });
  const replaced = owncast.fs.exists(body.name);
  const r = owncast.fs.write(body.name, fromBase64(body.dataBase64));
  return r.ok ? json(200, { ok: true, replaced }) : json(500, { ok: false, error: r.error || "write failed" });
}

function remove(req) {
  const body = parseBody(req);
  if (!body) return json(400, { ok: false, error: "invalid JSON" });
  if (!validName(body.name)) return json(400, { ok: false, error: "invalid file name" });
  const r = owncast.fs.delete(body.name);
  return r.ok ? json(200, { ok: true }) : json(500, { ok: false, error: r.error || "delete failed" });
}

function download(req) {
  const name = req.query && req.query.name;
  if (!validName(name)) return json(400, { ok: false, error: "invalid file name" });
  const bytes = owncast.fs.read(name);
  return bytes ? json(200, { name, dataBase64: toBase64(bytes) }) : json(404, { ok: false, error: "not found" });
}

module.exports = definePlugin({
  onHttpRequest(req) {
    switch (`${req.method} ${req.path}`) {
      case "GET /admin/api/files":
        return json(200, { files: owncast.fs.list("") });
      case "POST /admin/api/files":
        return upload(req);
      case "POST /admin/api/files/delete":
        return remove(req);
      case "GET /admin/api/files/download":
        return download(req);
      default:
        return req.path === "/admin/api/files" ? { status: 405 } : { status: 404 };
    }
  },
});
