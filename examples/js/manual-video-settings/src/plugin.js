// manual-video-settings: an admin form in front of owncast.videoConfig.
//
//   GET  /admin/api/config   the current settings (videoconfig.read)
//   POST /admin/api/config   a partial update (videoconfig.write) -> 204;
//                            400 with Owncast's reason when it refuses
//
// Only the fields the form sent go into the update, so the others keep their
// values. /admin/* is for admins only, enforced by the host.
const { definePlugin, owncast } = require("@owncast/plugin-sdk");

const num = (v) => (Number.isFinite(Number(v)) ? Number(v) : 0);

function variant(v) {
  return {
    width: num(v.width),
    height: num(v.height),
    framerate: num(v.framerate),
    videoBitrate: num(v.videoBitrate),
    cpuUsageLevel: num(v.cpuUsageLevel),
    isPassthrough: Boolean(v.isPassthrough),
  };
}

/** The partial update a form submission asks for. */
function updateFrom(form) {
  const update = {};
  if (form.latencyLevel !== undefined && form.latencyLevel !== "") update.latencyLevel = num(form.latencyLevel);
  if (typeof form.codec === "string" && form.codec) update.codec = form.codec;
  if (Array.isArray(form.variants)) update.variants = form.variants.map(variant);
  return update;
}

module.exports = definePlugin({
  onHttpRequest(req) {
    if (req.path !== "/admin/api/config") return { status: 404 };
    if (req.method === "GET") {
      return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(owncast.videoConfig.read()) };
    }
    if (req.method !== "POST") return { status: 405, headers: { allow: "GET, POST" } };
    let form;
    try {
      form = JSON.parse(req.body || "");
    } catch (e) {
      return { status: 400, body: "invalid JSON" };
    }
    try {
      owncast.videoConfig.write(updateFrom(form || {}));
    } catch (e) {
      return { status: 400, body: e.message };
    }
    return { status: 204 };
  },
});
