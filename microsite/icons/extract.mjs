// Regenerates the social network icons in this folder (see LICENSE.md for where they come from).
//
//   mkdir /tmp/icons && cd /tmp/icons && npm install simple-icons bootstrap-icons
//   node /path/to/microsite/icons/extract.mjs /tmp/icons/node_modules
//
// Each icon is written as one small SVG with only its viewBox and path: no <title> (the link
// around it carries the accessible name), `fill="currentColor"` so it takes the theme's colour.
// The names are the JSON names of `microsite::block::Network`; `Network::icon()` include_str!s
// one file per variant, so a network without a file does not compile.
import { readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const modules = process.argv[2];
if (!modules) throw new Error("usage: node extract.mjs <node_modules dir>");
const here = dirname(fileURLToPath(import.meta.url));

// network (as in JSON) -> [package, icon file]
const sources = {
  instagram: ["simple-icons", "icons/instagram.svg"],
  tiktok: ["simple-icons", "icons/tiktok.svg"],
  youtube: ["simple-icons", "icons/youtube.svg"],
  x: ["simple-icons", "icons/x.svg"],
  facebook: ["simple-icons", "icons/facebook.svg"],
  // Simple Icons dropped LinkedIn at the brand's request; Bootstrap Icons (MIT) still has it.
  linkedin: ["bootstrap-icons", "icons/linkedin.svg"],
  github: ["simple-icons", "icons/github.svg"],
  threads: ["simple-icons", "icons/threads.svg"],
  twitch: ["simple-icons", "icons/twitch.svg"],
  pinterest: ["simple-icons", "icons/pinterest.svg"],
  mastodon: ["simple-icons", "icons/mastodon.svg"],
  bluesky: ["simple-icons", "icons/bluesky.svg"],
  // Not a brand: a globe.
  website: ["bootstrap-icons", "icons/globe2.svg"],
};

for (const [network, [pkg, file]] of Object.entries(sources)) {
  const svg = readFileSync(join(modules, pkg, file), "utf8");
  const viewBox = svg.match(/viewBox="([^"]+)"/)[1];
  const paths = [...svg.matchAll(/<path[^>]*\sd="([^"]+)"/g)].map((m) => m[1]);
  if (paths.length === 0) throw new Error(`${pkg}/${file}: no path`);
  if (paths.some((d) => /[<>"&]/.test(d))) throw new Error(`${pkg}/${file}: odd path data`);
  const body = paths.map((d) => `<path d="${d}"/>`).join("");
  const out = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${viewBox}" width="22" height="22" fill="currentColor" aria-hidden="true" focusable="false">${body}</svg>`;
  writeFileSync(join(here, `${network}.svg`), out);
  console.log(`${network}.svg <- ${pkg}/${file}`);
}
