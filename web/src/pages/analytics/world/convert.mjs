// Converts Natural Earth's 1:110m countries (as shipped by the npm package `world-atlas`, ISC,
// data public domain) into countries.tsv: ISO 3166-1 alpha-2 code, English name, SVG path.
// Run once when refreshing the data; the web crate reads the TSV at compile time (include_str!),
// so nothing is fetched at build or run time.
//
//   mkdir -p /tmp/worldmap && cd /tmp/worldmap && npm install world-atlas@2 topojson-client@3 i18n-iso-countries@7
//   NODE_PATH=/tmp/worldmap/node_modules node web/src/pages/analytics/world/convert.mjs
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(join(process.env.NODE_PATH ?? ".", "x.js"));
const topology = require("world-atlas/countries-110m.json");
const { feature } = require("topojson-client");
const iso = require("i18n-iso-countries");

// Equirectangular, 2.5 units per degree, from 84°N down to 58°S (Antarctica left out: nobody
// scans there and it would take a third of the picture). The map is 900 × 355 units.
const SCALE = 2.5;
const NORTH = 84;
const project = ([lon, lat]) => [
  Math.round((lon + 180) * SCALE * 10) / 10,
  Math.round((NORTH - lat) * SCALE * 10) / 10,
];
// Places Natural Earth draws without a numeric ISO code, by name.
const BY_NAME = { Kosovo: "XK", "N. Cyprus": "CY", Somaliland: "SO" };

// A ring that crosses the antimeridian (Fiji, Chukotka) is drawn east of it in one piece; the
// viewBox cuts what falls past the edge.
const unwrap = (points) =>
  points.some((p, i) => i > 0 && Math.abs(p[0] - points[i - 1][0]) > 180)
    ? points.map(([lon, lat]) => [lon < 0 ? lon + 360 : lon, lat])
    : points;

const ring = (points) => {
  let out = "";
  let last = null;
  for (const p of unwrap(points).map(project)) {
    if (last && p[0] === last[0] && p[1] === last[1]) continue;
    if (last === null) out += `M${p[0]} ${p[1]}`;
    else out += `l${+(p[0] - last[0]).toFixed(1)} ${+(p[1] - last[1]).toFixed(1)}`;
    last = p;
  }
  return out + "z";
};

const polygons = (geometry) =>
  geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;

const rows = new Map();
for (const f of feature(topology, topology.objects.countries).features) {
  const name = f.properties.name;
  if (name === "Antarctica") continue;
  const code = BY_NAME[name] ?? (f.id ? iso.numericToAlpha2(f.id) : undefined);
  if (!code) {
    console.warn(`skipped: ${name} (${f.id})`);
    continue;
  }
  const path = polygons(f.geometry)
    .flatMap((rings) => rings.map(ring))
    .join("");
  const known = rows.get(code);
  // Parts drawn separately (Northern Cyprus) join their country's shape under its own name.
  rows.set(code, known ? { ...known, path: known.path + path } : { name, path });
}

const lines = [...rows.entries()]
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([code, { name, path }]) => `${code}\t${name}\t${path}`);
const here = dirname(fileURLToPath(import.meta.url));
writeFileSync(join(here, "countries.tsv"), lines.join("\n") + "\n");
console.log(`${lines.length} countries`);
