// Build the map page's vendored assets into ../eolink/app/static/vendor (run by `npm run build`).
// Everything is served by eolink itself: no CDN, works offline.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { feature, mesh } from "topojson-client";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "..", "eolink", "app", "static", "vendor");
const modules = join(here, "node_modules");

function copy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}

// MapLibre GL JS as distributed.
for (const name of ["dist/maplibre-gl.js", "dist/maplibre-gl.css", "LICENSE.txt"]) {
  copy(join(modules, "maplibre-gl", name), join(vendor, "maplibre-gl", name.split("/").pop()));
}

// CodeMirror 6 (SPARQL mode) and proj4 + topojson-client as two ES modules.
const common = { bundle: true, format: "esm", minify: true, legalComments: "linked", logLevel: "warning" };
await build({ ...common, entryPoints: [join(here, "src", "editor.js")], outfile: join(vendor, "eolink", "editor.js") });
await build({ ...common, entryPoints: [join(here, "src", "geo.js")], outfile: join(vendor, "eolink", "geo.js") });

// The offline basemap: Natural Earth 1:10m land and country borders (world-atlas), as GeoJSON for the tile server.
const land = JSON.parse(readFileSync(join(modules, "world-atlas", "land-10m.json"), "utf8"));
const countries = JSON.parse(readFileSync(join(modules, "world-atlas", "countries-10m.json"), "utf8"));
mkdirSync(join(vendor, "basemap"), { recursive: true });
writeFileSync(join(vendor, "basemap", "land.geojson"), JSON.stringify(feature(land, land.objects.land)));
const borders = mesh(countries, countries.objects.countries, (a, b) => a !== b);
writeFileSync(join(vendor, "basemap", "borders.geojson"),
  JSON.stringify({ type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry: borders }] }));
copy(join(modules, "world-atlas", "LICENSE"), join(vendor, "basemap", "LICENSE-world-atlas"));
console.log(`built ${vendor}`);
