// eolink map: layers from SPARQL queries on MapLibre, thematic styles, time, inspection and saved maps.
import { createEditor } from "/static/vendor/eolink/editor.js";
import { PALETTE, codeListColours, colourRule, failure, loadLocal, loadRemote, resolveStyle } from "/static/js/layers.js";
import { extendBounds } from "/static/js/wkt.js";

const $ = (id) => document.getElementById(id);
const PREFIXES = `PREFIX eol: <https://w3id.org/eolink/ontology#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX dct: <http://purl.org/dc/terms/>
`;
const PRESETS = [
  ["Crop fields by crop type", `SELECT ?field ?cropType ?areaM2 ?wkt WHERE {
  ?field a eol:CropField ; eol:cropType ?cropType ; eol:areaM2 ?areaM2 ;
         geo:hasDefaultGeometry/geo:asWKT ?wkt .
}`],
  ["Scenes by sensing time", `SELECT ?scene ?mission ?sensingStart ?cloudCover ?wkt WHERE {
  ?scene a eol:Scene ; eol:mission ?mission ; eol:sensingStart ?sensingStart ;
         geo:hasGeometry/geo:asWKT ?wkt .
  OPTIONAL { ?scene eol:cloudCover ?cloudCover }
}`],
  ["Change areas by class", `SELECT ?area ?changeClass ?areaM2 ?wkt WHERE {
  ?area a eol:ChangeArea ; eol:changeClass ?changeClass ; eol:areaM2 ?areaM2 ;
        geo:hasDefaultGeometry/geo:asWKT ?wkt .
}`],
  ["Ice-chart zones by stage of development", `SELECT ?zone ?stage ?concentration ?wkt WHERE {
  ?zone a eol:IceChartZone ; geo:hasDefaultGeometry/geo:asWKT ?wkt .
  OPTIONAL { ?zone eol:stageOfDevelopmentA ?stage }
  OPTIONAL { ?zone eol:totalConcentration ?concentration }
}`],
  ["OSM features by type", `SELECT ?feature ?featureType ?name ?wkt WHERE {
  ?feature a eol:OSMFeature ; eol:featureType ?featureType ; geo:hasDefaultGeometry/geo:asWKT ?wkt .
  OPTIONAL { ?feature <http://www.w3.org/2000/01/rdf-schema#label> ?name }
}`],
  ["Features by product acquisition date", `SELECT ?feature ?product ?timeStart ?wkt WHERE {
  ?product eol:timeStart ?timeStart .
  ?feature eol:inProduct ?product ; geo:hasDefaultGeometry/geo:asWKT ?wkt .
} LIMIT 20000`],
];

const state = { map: null, layers: [], colours: new Map(), mapId: null, selected: null, nextUid: 1, time: null, playing: null };
const status = (text, ok = false) => { $("status").textContent = text || ""; $("status").className = ok ? "ok" : ""; };

// ---------------------------------------------------------------------------------------------------------------
// Map and basemap

function basemapStyle() {
  return {
    version: 8,
    sources: {
      land: { type: "vector", tiles: [`${location.origin}/tiles/basemap-land/{z}/{x}/{y}.mvt`], maxzoom: 10 },
      borders: { type: "vector", tiles: [`${location.origin}/tiles/basemap-borders/{z}/{x}/{y}.mvt`], maxzoom: 10 },
    },
    layers: [
      { id: "basemap-water", type: "background", paint: { "background-color": "#cfe2f0" } },
      { id: "basemap-land", type: "fill", source: "land", "source-layer": "features", paint: { "fill-color": "#f2efe6", "fill-outline-color": "#b9b3a3" } },
      { id: "basemap-borders", type: "line", source: "borders", "source-layer": "features", paint: { "line-color": "#a08fa8", "line-width": 1, "line-dasharray": [3, 2] } },
    ],
  };
}

function layerIds(layer) { return [`${layer.uid}-fill`, `${layer.uid}-line`, `${layer.uid}-point`]; }

function timeFilter(layer) {
  if (!layer.summary.time_range || state.time === null) return null;
  return ["<=", ["coalesce", ["get", "_t"], 0], state.time];
}

function applyFilters(layer) {
  const kinds = { fill: ["Polygon", "MultiPolygon"], line: ["LineString", "MultiLineString"], point: ["Point", "MultiPoint"] };
  const time = timeFilter(layer);
  for (const [kind, types] of Object.entries(kinds)) {
    const geometry = ["match", ["geometry-type"], types, true, false];
    state.map.setFilter(`${layer.uid}-${kind}`, time ? ["all", geometry, time] : geometry);
  }
}

function applyStyle(layer) {
  const map = state.map;
  layer.style = resolveStyle(layer.spec.style || {}, layer.summary, state.colours, layer.defaultColour);
  const { expression, legend } = colourRule(layer.style, layer.summary, state.colours);
  layer.legend = legend;
  const opacity = layer.spec.opacity ?? 1;
  map.setPaintProperty(`${layer.uid}-fill`, "fill-color", expression);
  map.setPaintProperty(`${layer.uid}-fill`, "fill-opacity", 0.7 * opacity);
  map.setPaintProperty(`${layer.uid}-line`, "line-color", expression);
  map.setPaintProperty(`${layer.uid}-line`, "line-opacity", opacity);
  map.setPaintProperty(`${layer.uid}-point`, "circle-color", expression);
  map.setPaintProperty(`${layer.uid}-point`, "circle-opacity", opacity);
  map.setPaintProperty(`${layer.uid}-point`, "circle-stroke-opacity", opacity);
  const visibility = layer.spec.visible === false ? "none" : "visible";
  for (const id of layerIds(layer)) map.setLayoutProperty(id, "visibility", visibility);
  renderLegend();
}

function addToMap(layer) {
  const map = state.map;
  const source = layer.summary.tiled
    ? { type: "vector", tiles: [location.origin + layer.summary.tiles], maxzoom: 16 }
    : { type: "geojson", data: layer.data };
  map.addSource(layer.uid, source);
  const common = { source: layer.uid, ...(layer.summary.tiled ? { "source-layer": "features" } : {}) };
  map.addLayer({ id: `${layer.uid}-fill`, type: "fill", ...common, paint: { "fill-outline-color": "#33333380" } });
  map.addLayer({ id: `${layer.uid}-line`, type: "line", ...common, paint: { "line-width": 1.6 } });
  map.addLayer({ id: `${layer.uid}-point`, type: "circle", ...common,
    paint: { "circle-radius": ["interpolate", ["linear"], ["zoom"], 4, 1.5, 10, 3.5, 14, 5],
      "circle-stroke-width": ["interpolate", ["linear"], ["zoom"], 8, 0, 12, 1], "circle-stroke-color": "#fff" } });
  applyFilters(layer);
  applyStyle(layer);
}

function reorder() {
  // The first layer of the list is drawn on top: add from the bottom up.
  for (const layer of [...state.layers].reverse()) for (const id of layerIds(layer)) state.map.moveLayer(id);
}

// ---------------------------------------------------------------------------------------------------------------
// Layers

async function addLayer(spec, { select = true } = {}) {
  const clean = { title: spec.title || `layer ${state.nextUid}`, endpoint: spec.endpoint || "", query: spec.query,
    visible: spec.visible !== false, opacity: spec.opacity ?? 1, style: spec.style || {} };
  status(`Running “${clean.title}”…`, true);
  const local = !clean.endpoint || clean.endpoint === "/sparql";
  const { summary, data } = local ? await loadLocal(clean) : await loadRemote(clean);
  return showLayer(clean, summary, data, { select });
}

/** Show a layer the server already holds (by id), e.g. one registered by a benchmark; mode "tiles"/"geojson" forces one. */
async function showRegisteredLayer(id, { title = id, mode = "auto" } = {}) {
  const response = await fetch(`/api/layers/${encodeURIComponent(id)}`);
  if (!response.ok) throw await failure(response);
  const summary = await response.json();
  if (mode !== "auto") summary.tiled = mode === "tiles";
  const spec = { title, endpoint: "", query: `# layer ${id}`, visible: true, opacity: 1, style: {} };
  return showLayer(spec, summary, summary.tiled ? null : summary.geojson, { select: false });
}

async function showLayer(spec, summary, data, { select }) {
  const uid = `layer${state.nextUid++}`;
  const layer = { uid, spec, summary, data, defaultColour: PALETTE[(state.nextUid - 2) % PALETTE.length] };
  state.layers.unshift(layer);
  addToMap(layer);
  reorder();
  renderLayers();
  updateTimeControl();
  if (select) await selectLayer(layer);
  status(`“${spec.title}”: ${summary.count} features${summary.tiled ? " (vector tiles)" : ""}${summary.dropped ? `, ${summary.dropped} without a usable geometry` : ""}.`, true);
  return layer;
}

function removeLayer(layer) {
  for (const id of layerIds(layer)) state.map.removeLayer(id);
  state.map.removeSource(layer.uid);
  state.layers = state.layers.filter((l) => l !== layer);
  if (state.selected === layer) { state.selected = null; renderTable(null); }
  renderLayers(); renderLegend(); updateTimeControl();
}

function zoomTo(layer) {
  const b = layer.summary.bbox;
  if (!b) return;
  state.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, animate: false, maxZoom: 16 });
}

function exportGeoJSON(layer) {
  if (layer.summary.tiled || typeof layer.data !== "object" || !layer.data) {
    location.href = layer.summary.geojson;  // large layers: the server writes the file
    return;
  }
  const blob = new Blob([JSON.stringify(layer.data)], { type: "application/geo+json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `${layer.spec.title.replace(/[^\w-]+/g, "_")}.geojson`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function renderLayers() {
  const list = $("layers");
  list.innerHTML = "";
  state.layers.forEach((layer, index) => {
    const item = document.createElement("li");
    item.dataset.layer = layer.uid;
    item.dataset.count = layer.summary.count;
    const columns = layer.summary.columns.map((c) => c.name);
    const options = (selected) => ["", ...columns].map((c) => `<option value="${esc(c)}" ${c === selected ? "selected" : ""}>${esc(c || "—")}</option>`).join("");
    item.innerHTML = `
      <label><input type="checkbox" class="visible" ${layer.spec.visible ? "checked" : ""}> <span class="name">${esc(layer.spec.title)}</span></label>
      <div class="meta">${layer.summary.count} features · ${layer.summary.tiled ? "vector tiles" : "GeoJSON"} · ${esc(layer.spec.endpoint || "this server")}</div>
      <div class="tools">
        <input type="range" class="opacity" min="0" max="1" step="0.05" value="${layer.spec.opacity}" title="opacity">
        <select class="mode" title="style">${["auto", "single", "categorical", "graduated"].map((m) => `<option ${m === (layer.spec.style.mode || "auto") ? "selected" : ""}>${m}</option>`).join("")}</select>
        <select class="property" title="styled by">${options(layer.style.property || "")}</select>
        <button class="up" title="move up" ${index === 0 ? "disabled" : ""}>↑</button>
        <button class="down" title="move down" ${index === state.layers.length - 1 ? "disabled" : ""}>↓</button>
        <button class="zoom" title="zoom to extent">⤢</button>
        <button class="table" title="show the table">▦</button>
        <button class="export" title="export as GeoJSON">⤓</button>
        <button class="remove" title="remove">✕</button>
      </div>`;
    item.querySelector(".visible").addEventListener("change", (e) => { layer.spec.visible = e.target.checked; applyStyle(layer); });
    item.querySelector(".opacity").addEventListener("input", (e) => { layer.spec.opacity = Number(e.target.value); applyStyle(layer); });
    const restyle = () => {
      layer.spec.style = { ...layer.spec.style, mode: item.querySelector(".mode").value, property: item.querySelector(".property").value || null };
      applyStyle(layer); renderLayers();
    };
    item.querySelector(".mode").addEventListener("change", restyle);
    item.querySelector(".property").addEventListener("change", restyle);
    const move = (delta) => {
      const i = state.layers.indexOf(layer);
      state.layers.splice(i, 1); state.layers.splice(i + delta, 0, layer);
      reorder(); renderLayers(); renderLegend();
    };
    item.querySelector(".up").addEventListener("click", () => move(-1));
    item.querySelector(".down").addEventListener("click", () => move(1));
    item.querySelector(".zoom").addEventListener("click", () => zoomTo(layer));
    item.querySelector(".table").addEventListener("click", () => selectLayer(layer));
    item.querySelector(".export").addEventListener("click", () => exportGeoJSON(layer));
    item.querySelector(".remove").addEventListener("click", () => removeLayer(layer));
    list.appendChild(item);
  });
}

function renderLegend() {
  const box = $("legend");
  box.innerHTML = "";
  for (const layer of state.layers) {
    if (!layer.legend || layer.spec.visible === false) continue;
    const div = document.createElement("div");
    div.className = "legend-layer";
    div.innerHTML = `<strong>${esc(layer.spec.title)}</strong>${layer.style.property ? ` <span class="hint">by ${esc(layer.style.property)}</span>` : ""}` +
      layer.legend.map((e) => `<div class="legend-item"><span class="swatch" style="background:${esc(e.colour)}"></span>${esc(e.label)}</div>`).join("");
    box.appendChild(div);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Results table and inspection

async function selectLayer(layer) {
  state.selected = layer;
  let page;
  if (layer.data?.features) {
    const columns = layer.summary.columns.map((c) => c.name);
    const rows = layer.data.features.slice(0, 500).map((f) => columns.map((c) => f.properties[c] ?? ""));
    page = { columns, rows, total: layer.data.features.length };
  } else {
    const response = await fetch(`/api/layers/${layer.summary.id}/rows?limit=500`);
    if (!response.ok) throw await failure(response);
    const body = await response.json();
    page = { columns: body.columns.slice(1), rows: body.rows.map((r) => r.slice(1)), total: body.total };
  }
  renderTable(layer, page);
}

function renderTable(layer, page) {
  $("table-head").textContent = layer ? `${layer.spec.title}: ${page.total} rows${page.total > page.rows.length ? ` (first ${page.rows.length})` : ""}` : "";
  if (!layer) { $("table").innerHTML = ""; return; }
  const head = `<tr>${page.columns.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>`;
  const body = page.rows.map((row, i) => `<tr data-row="${i}">${row.map((v) => `<td title="${esc(v)}">${cell(v)}</td>`).join("")}</tr>`).join("");
  $("table").innerHTML = `<table>${head}${body}</table>`;
  $("table").querySelectorAll("tr[data-row]").forEach((tr) => tr.addEventListener("click", () => {
    const feature = layer.data?.features[Number(tr.dataset.row)];
    if (!feature) return;
    const b = extendBounds([Infinity, Infinity, -Infinity, -Infinity], feature.geometry);
    state.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 60, animate: false, maxZoom: 15 });
    highlightRow(Number(tr.dataset.row));
  }));
}

function highlightRow(index) {
  $("table").querySelectorAll("tr.selected").forEach((tr) => tr.classList.remove("selected"));
  const tr = $("table").querySelector(`tr[data-row="${index}"]`);
  if (tr) { tr.classList.add("selected"); tr.scrollIntoView({ block: "nearest" }); }
}

function resourceLink(iri) {
  const base = "https://w3id.org/eolink/resource/";
  return iri.startsWith(base) ? `/resource/${iri.slice(base.length)}` : iri;
}

function cell(value) {
  const text = String(value ?? "");
  if (!/^https?:\/\//.test(text)) return esc(text);
  const name = state.colours.get(text)?.label || text.split(/[/#]/).pop();  // code-list concepts by their label
  return `<a href="${esc(resourceLink(text))}" target="_blank" rel="noopener">${esc(name)}</a>`;
}

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function onClick(event) {
  const ids = state.layers.filter((l) => l.spec.visible !== false).flatMap(layerIds);
  const features = ids.length ? state.map.queryRenderedFeatures(event.point, { layers: ids }) : [];
  if (!features.length) return;
  const feature = features[0];
  const layer = state.layers.find((l) => feature.layer.id.startsWith(`${l.uid}-`));
  const rows = Object.entries(feature.properties).filter(([k]) => !k.startsWith("_"))
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${cell(v)}</td></tr>`).join("");
  const label = layer.style.property ? layer.legend.find((e) => String(e.value) === String(feature.properties[layer.style.property]))?.label : null;
  const html = `<div class="popup"><strong>${esc(layer.spec.title)}</strong>${label ? ` — ${esc(label)}` : ""}<table>${rows}</table></div>`;
  new maplibregl.Popup({ maxWidth: "380px" }).setLngLat(event.lngLat).setHTML(html).addTo(state.map);
  if (state.selected === layer && feature.properties._row !== undefined) highlightRow(feature.properties._row);
}

// ---------------------------------------------------------------------------------------------------------------
// Time

function updateTimeControl() {
  const ranges = state.layers.map((l) => l.summary.time_range).filter(Boolean);
  $("time-section").hidden = !ranges.length;
  if (!ranges.length) { state.time = null; return; }
  const low = Math.min(...ranges.map((r) => r[0])), high = Math.max(...ranges.map((r) => r[1]));
  state.timeRange = [low, high];
  setTime(Number($("time-slider").value));
}

function setTime(position) {
  const [low, high] = state.timeRange;
  state.time = low + (high - low) * (position / 1000);
  $("time-label").textContent = `up to ${new Date(state.time).toISOString().slice(0, 16).replace("T", " ")} UTC`;
  for (const layer of state.layers) applyFilters(layer);
}

function togglePlay() {
  if (state.playing) { clearInterval(state.playing); state.playing = null; $("time-play").textContent = "▶ Play"; return; }
  const slider = $("time-slider");
  if (Number(slider.value) >= 1000) slider.value = 0;
  $("time-play").textContent = "❚❚ Pause";
  state.playing = setInterval(() => {
    slider.value = Math.min(1000, Number(slider.value) + 20);
    setTime(Number(slider.value));
    if (Number(slider.value) >= 1000) togglePlay();
  }, 200);
}

// ---------------------------------------------------------------------------------------------------------------
// Saved maps

function currentSpec() {
  const center = state.map.getCenter();
  return {
    title: $("map-title").value || "Untitled map",
    view: { center: [center.lng, center.lat], zoom: state.map.getZoom() },
    // Saved bottom-up: the first saved layer is drawn lowest.
    layers: [...state.layers].reverse().map((l) => ({ ...l.spec, style: { ...l.spec.style } })),
  };
}

async function saveMap() {
  const url = state.mapId ? `/api/maps/${state.mapId}` : "/api/maps";
  const response = await fetch(url, { method: state.mapId ? "PUT" : "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(currentSpec()) });
  if (!response.ok) throw await failure(response);
  const saved = await response.json();
  state.mapId = saved.id;
  history.replaceState(null, "", saved.url);
  updateExportLinks();
  await listMaps();
  status(`Saved as ${saved.id}.`, true);
  document.body.dataset.saved = saved.id;
}

function updateExportLinks() {
  for (const [id, format] of [["export-json", "json"], ["export-ttl", "ttl"]]) {
    $(id).href = state.mapId ? `/api/maps/${state.mapId}?format=${format}&download=true` : "#";
  }
}

async function listMaps() {
  const response = await fetch("/api/maps");
  if (!response.ok) return;
  $("saved-maps").innerHTML = (await response.json())
    .map((m) => `<li><a href="${esc(m.url)}">${esc(m.title)}</a> <span class="hint">${m.layers} layers</span></li>`).join("");
}

async function openMap(id) {
  const response = await fetch(`/api/maps/${encodeURIComponent(id)}`);
  if (!response.ok) throw await failure(response);
  const spec = await response.json();
  state.mapId = spec.id;
  $("map-title").value = spec.title;
  for (const layer of spec.layers) await addLayer(layer, { select: false });
  state.map.jumpTo({ center: spec.view.center, zoom: spec.view.zoom });
  if (state.layers.length) await selectLayer(state.layers[0]);
  updateExportLinks();
}

async function importMap(file) {
  const text = await file.text();
  const turtle = /\.ttl$/i.test(file.name) || file.type === "text/turtle";
  const response = await fetch("/api/maps", { method: "POST", headers: { "Content-Type": turtle ? "text/turtle" : "application/json" }, body: text });
  if (!response.ok) throw await failure(response);
  location.href = (await response.json()).url;
}

// ---------------------------------------------------------------------------------------------------------------
// Search (shown only when the server has the semantic search API)

async function setupSearch() {
  const response = await fetch("/openapi.json");
  if (!response.ok) return;
  const paths = (await response.json()).paths || {};
  if (!paths["/search"]) return;
  $("search").hidden = false;
  $("search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = $("search-q").value.trim();
    if (!q) return;
    const answer = await fetch(`/search?q=${encodeURIComponent(q)}`, { headers: { Accept: "application/json" } });
    if (!answer.ok) { status((await failure(answer)).message); return; }
    const body = await answer.json();
    const hits = Array.isArray(body) ? body : body.results || body.hits || [];
    $("search-results").innerHTML = "";
    for (const hit of hits.slice(0, 20)) {
      const iri = hit.iri || hit.id || hit.product;
      const li = document.createElement("li");
      li.innerHTML = `<a href="#">${esc(hit.title || iri)}</a>`;
      li.querySelector("a").addEventListener("click", (e) => { e.preventDefault(); showFootprint(iri, hit.title || iri).catch((err) => status(err.message)); });
      $("search-results").appendChild(li);
    }
  });
}

async function showFootprint(iri, title) {
  const query = `${PREFIXES}SELECT ?feature ?wkt WHERE {
  { <${iri}> geo:hasGeometry/geo:asWKT ?wkt BIND(<${iri}> AS ?feature) }
  UNION { ?feature eol:inProduct <${iri}> ; geo:hasDefaultGeometry/geo:asWKT ?wkt }
} LIMIT 50000`;
  const layer = await addLayer({ title: `search: ${title}`, query });
  zoomTo(layer);
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  if (typeof maplibregl === "undefined") { status("MapLibre is not installed: run `make web`."); return; }
  const map = new maplibregl.Map({
    container: "map", style: basemapStyle(), center: [24.94, 60.17], zoom: 8, maxZoom: 20,
    attributionControl: { customAttribution: "Natural Earth (world-atlas); OpenStreetMap contributors; sample products synthetic" },
  });
  map.addControl(new maplibregl.NavigationControl());
  map.addControl(new maplibregl.ScaleControl());
  state.map = map;
  window.eolink = { map, state, addLayer, showRegisteredLayer, saveMap, setTime };
  await new Promise((resolve) => map.on("load", resolve));
  map.on("click", onClick);
  state.colours = await codeListColours();

  const editor = createEditor($("editor"), PREFIXES + PRESETS[0][1], () => $("add-layer").click());
  window.eolink.editor = editor;
  for (const [title, query] of PRESETS) $("presets").add(new Option(title, query));
  $("presets").addEventListener("change", (e) => {
    if (!e.target.value) return;
    editor.set(PREFIXES + e.target.value);
    $("layer-title").value = e.target.selectedOptions[0].text;
  });
  $("add-layer").addEventListener("click", async () => {
    try {
      const layer = await addLayer({ title: $("layer-title").value, endpoint: $("endpoint").value.trim(), query: editor.get() });
      if (state.layers.length === 1) zoomTo(layer);
    } catch (err) { status(err.message); }
  });
  $("time-slider").addEventListener("input", (e) => setTime(Number(e.target.value)));
  $("time-play").addEventListener("click", togglePlay);
  $("save-map").addEventListener("click", () => saveMap().catch((err) => status(err.message)));
  $("import-map").addEventListener("change", (e) => e.target.files[0] && importMap(e.target.files[0]).catch((err) => status(err.message)));
  updateExportLinks();
  await Promise.all([listMaps(), setupSearch().catch(() => {})]);
  const mapId = new URLSearchParams(location.search).get("map");
  if (mapId) await openMap(mapId);
  document.body.dataset.ready = "true";
}

main().catch((err) => { status(String(err.message || err)); document.body.dataset.ready = "error"; });
