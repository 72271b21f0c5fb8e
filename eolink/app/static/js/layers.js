// Layers from SPARQL queries: loading (this server or a remote endpoint), thematic styles and legends.
import { proj4 } from "/static/vendor/eolink/geo.js";
import { CRS84, extendBounds, mapCoordinates, parseWkt, splitLiteral } from "/static/js/wkt.js";

const GEO = "http://www.opengis.net/ont/geosparql#";
const XSD = "http://www.w3.org/2001/XMLSchema#";
const NUMERIC = new Set(["integer", "decimal", "double", "float", "int", "long", "short", "nonNegativeInteger", "positiveInteger"].map((t) => XSD + t));
const TIMES = new Set([XSD + "dateTime", XSD + "date", XSD + "dateTimeStamp"]);
export const PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666", "#1f78b4", "#b2df8a"];
export const NO_VALUE = "#a3a3a3";
export const RAMP = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];

/** Problem details of a failed response as an Error. */
export async function failure(response) {
  let detail = `${response.status} ${response.statusText}`;
  try { const body = await response.json(); detail = body.detail || body.title || detail; } catch (_) { /* not JSON */ }
  return new Error(detail);
}

/** Build a layer of this server's store: the server parses, reprojects and (for large layers) tiles it. */
export async function loadLocal(spec) {
  const response = await fetch("/api/layers", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ query: spec.query, title: spec.title }),
  });
  if (!response.ok) throw await failure(response);
  const summary = await response.json();
  const data = summary.tiled ? null : await (await fetch(summary.geojson)).json();
  return { summary, data };
}

const crsCache = new Map();
async function projection(iri) {
  if (iri === CRS84 || iri === "http://www.opengis.net/def/crs/OGC/0/CRS84") return null;
  if (!crsCache.has(iri)) {
    crsCache.set(iri, (async () => {
      const response = await fetch(`/api/crs?iri=${encodeURIComponent(iri)}`);
      if (!response.ok) throw await failure(response);
      const def = await response.json();
      const forward = proj4(def.proj4, "EPSG:4326").forward;
      return def.axis === "neu" ? (c) => forward([c[1], c[0]]) : (c) => forward(c);
    })());
  }
  return crsCache.get(iri);
}

function termKind(term) {
  if (!term) return null;
  if (term.type === "uri") return "iri";
  const dt = term.datatype || "";
  if (dt === GEO + "wktLiteral" || dt === GEO + "geoJSONLiteral") return "geometry";
  if (NUMERIC.has(dt)) return "number";
  if (TIMES.has(dt)) return "time";
  return "string";
}

/** Run a query on any SPARQL endpoint and turn its results into GeoJSON in the browser (CRS via proj4). */
export async function loadRemote(spec) {
  const response = await fetch(spec.endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/sparql-query", Accept: "application/sparql-results+json" },
    body: spec.query,
  });
  if (!response.ok) throw await failure(response);
  const results = await response.json();
  const names = results.head.vars;
  const bindings = results.results.bindings;
  const kinds = {};
  for (const name of names) kinds[name] = termKind(bindings.find((b) => b[name])?.[name]);
  const geometryColumn = names.find((n) => kinds[n] === "geometry");
  if (!geometryColumn) throw new Error("the query returns no geometry column (a geo:wktLiteral or geo:geoJSONLiteral value)");
  const timeColumn = names.find((n) => kinds[n] === "time") || null;
  const features = [];
  const bounds = [Infinity, Infinity, -Infinity, -Infinity];
  let dropped = 0;
  for (const binding of bindings) {
    const term = binding[geometryColumn];
    let geometry;
    try {
      if (term.datatype === GEO + "geoJSONLiteral") geometry = JSON.parse(term.value);
      else {
        const [crs, body] = splitLiteral(term.value);
        geometry = parseWkt(body);
        const project = await projection(crs);
        if (project) mapCoordinates(geometry, project);
      }
    } catch (err) { dropped++; continue; }
    const properties = { _row: features.length };
    for (const name of names) {
      if (name === geometryColumn || !binding[name]) continue;
      properties[name] = kinds[name] === "number" ? Number(binding[name].value) : binding[name].value;
    }
    if (timeColumn && binding[timeColumn]) {
      const t = Date.parse(binding[timeColumn].value);
      if (!Number.isNaN(t)) properties._t = t;
    }
    extendBounds(bounds, geometry);
    features.push({ type: "Feature", id: features.length, geometry, properties });
  }
  const data = { type: "FeatureCollection", features };
  const columns = names.filter((n) => n !== geometryColumn).map((name) => ({ name, kind: kinds[name] || "string" }));
  return { summary: summarise(data, columns, geometryColumn, timeColumn, bounds, dropped), data };
}

function summarise(data, columns, geometryColumn, timeColumn, bounds, dropped) {
  const numeric = {}, categories = {};
  for (const { name, kind } of columns) {
    const values = data.features.map((f) => f.properties[name]).filter((v) => v !== undefined && v !== null);
    if (!values.length) continue;
    if (kind === "number") numeric[name] = [Math.min(...values), Math.max(...values)];
    else if (kind === "iri" || kind === "string") {
      const distinct = [...new Set(values.map(String))].sort();
      if (distinct.length <= 64) categories[name] = distinct;
    }
  }
  const times = data.features.map((f) => f.properties._t).filter((t) => t !== undefined);
  return {
    count: data.features.length, dropped, columns, geometry_column: geometryColumn, time_column: timeColumn,
    time_range: times.length ? [Math.min(...times), Math.max(...times)] : null,
    numeric, categories, bbox: Number.isFinite(bounds[0]) ? bounds : null, tiled: false,
  };
}

/** Choose a style when the layer's spec leaves it to us: code-list colours, else a numeric ramp, else one colour. */
export function resolveStyle(style, summary, codeColours, fallbackColour) {
  const out = { mode: "auto", property: null, colour: fallbackColour, ...style };
  if (out.mode !== "auto") return out;
  const coded = Object.entries(summary.categories || {}).find(([, values]) => values.some((v) => codeColours.has(v)));
  if (coded) return { ...out, mode: "categorical", property: coded[0] };
  const numeric = Object.keys(summary.numeric || {}).find((n) => summary.numeric[n][0] < summary.numeric[n][1]);
  if (numeric) return { ...out, mode: "graduated", property: numeric };
  return { ...out, mode: "single" };
}

/** The MapLibre colour expression and the legend entries of a resolved style. */
export function colourRule(style, summary, codeColours) {
  if (style.mode === "categorical" && style.property && summary.categories?.[style.property]) {
    const values = summary.categories[style.property];
    const legend = values.map((value, i) => {
      const coded = codeColours.get(value);
      return { value, label: coded?.label || value.split(/[/#]/).pop(), colour: coded?.colour || PALETTE[i % PALETTE.length] };
    });
    const expression = ["match", ["to-string", ["get", style.property]]];
    for (const entry of legend) expression.push(entry.value, entry.colour);
    expression.push(style.colour);
    return { expression: legend.length ? expression : style.colour, legend };
  }
  if (style.mode === "graduated" && style.property && summary.numeric?.[style.property]) {
    const [low, high] = summary.numeric[style.property];
    const step = (high - low) / RAMP.length || 1;
    const expression = ["step", ["to-number", ["get", style.property], low], RAMP[0]];
    const legend = [];
    for (let i = 0; i < RAMP.length; i++) {
      if (i > 0) expression.push(low + i * step, RAMP[i]);
      const a = low + i * step, b = i === RAMP.length - 1 ? high : low + (i + 1) * step;
      legend.push({ value: a, label: `${formatNumber(a)} – ${formatNumber(b)}`, colour: RAMP[i] });
    }
    legend.push({ label: "no value", colour: NO_VALUE });
    return { expression: ["case", ["==", ["typeof", ["get", style.property]], "number"], expression, NO_VALUE], legend };
  }
  return { expression: style.colour, legend: [{ label: "all features", colour: style.colour }] };
}

function formatNumber(x) {
  return Math.abs(x) >= 1000 ? Math.round(x).toLocaleString("en") : Number(x.toPrecision(3)).toString();
}

/** Code-list concepts with a colour (eol:colour), read from this server's SPARQL endpoint. */
export async function codeListColours() {
  const query = `PREFIX eol: <https://w3id.org/eolink/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
    SELECT ?concept ?colour (SAMPLE(?l) AS ?label) WHERE { ?concept eol:colour ?colour .
      OPTIONAL { ?concept skos:prefLabel ?l FILTER(LANG(?l) = "en" || LANG(?l) = "") } } GROUP BY ?concept ?colour`;
  const response = await fetch("/sparql", {
    method: "POST", headers: { "Content-Type": "application/sparql-query", Accept: "application/sparql-results+json" }, body: query,
  });
  const colours = new Map();
  if (!response.ok) return colours;
  for (const b of (await response.json()).results.bindings) {
    colours.set(b.concept.value, { colour: b.colour.value, label: b.label?.value });
  }
  return colours;
}
