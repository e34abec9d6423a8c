"use strict";
// The plugin's slug: manifest.slug, or derived from manifest.name the way
// upstream derives it (ASCII letters and digits kept, lowercased; every other
// run of characters one "-"; no leading or trailing "-"), so a manifest
// without a slug names the same files and URLs here as upstream.

function slugify(name) {
  return String(name)
    .replace(/[A-Z]/g, (c) => c.toLowerCase())
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** manifest.slug when set, else slugify(manifest.name); "" when neither gives one. */
function manifestSlug(manifest) {
  if (manifest && typeof manifest.slug === "string" && manifest.slug) return manifest.slug;
  return manifest && typeof manifest.name === "string" ? slugify(manifest.name) : "";
}

module.exports = { slugify, manifestSlug };
