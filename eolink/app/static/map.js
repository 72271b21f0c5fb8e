// eolink map: one MapLibre layer per product, fetched as GeoJSON from /api/products/{id}/features.geojson.
"use strict";

const PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"];
const status = document.getElementById("status");

function setStatus(text) { status.textContent = text || ""; }

function layerIds(id) { return [`${id}-fill`, `${id}-line`, `${id}-point`]; }

function addProductLayers(map, product, colour, data) {
  const id = product.id;
  map.addSource(id, { type: "geojson", data });
  const fillColour = ["coalesce", ["get", "colour"], colour];
  map.addLayer({ id: `${id}-fill`, type: "fill", source: id, filter: ["==", ["geometry-type"], "Polygon"],
                 paint: { "fill-color": fillColour, "fill-opacity": 0.55, "fill-outline-color": "#333" } });
  map.addLayer({ id: `${id}-line`, type: "line", source: id, filter: ["==", ["geometry-type"], "LineString"],
                 paint: { "line-color": fillColour, "line-width": 1.5 } });
  map.addLayer({ id: `${id}-point`, type: "circle", source: id, filter: ["==", ["geometry-type"], "Point"],
                 paint: { "circle-color": fillColour, "circle-radius": 4, "circle-stroke-width": 1, "circle-stroke-color": "#fff" } });
  for (const layer of layerIds(id)) {
    map.on("click", layer, (event) => {
      const f = event.features[0];
      const p = f.properties;
      const html = `<strong>${product.title}</strong><br>${p.label ? p.label + "<br>" : ""}` +
                   `<a href="${p.iri}" target="_blank" rel="noopener">${p.iri}</a>`;
      new maplibregl.Popup().setLngLat(event.lngLat).setHTML(html).addTo(map);
    });
    map.on("mouseenter", layer, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = ""; });
  }
}

function extend(bounds, data) {
  for (const feature of data.features) {
    const walk = (c) => (typeof c[0] === "number" ? bounds.extend(c) : c.forEach(walk));
    if (feature.geometry) walk(feature.geometry.coordinates);
  }
}

async function main() {
  if (typeof maplibregl === "undefined") {
    setStatus("MapLibre is not installed: run `make web`.");
    return;
  }
  const map = new maplibregl.Map({
    container: "map",
    style: { version: 8, sources: {}, layers: [{ id: "background", type: "background", paint: { "background-color": "#dfe9f2" } }] },
    center: [24.94, 60.17], zoom: 10, attributionControl: { customAttribution: "OpenStreetMap contributors (OSM extract); other layers synthetic" },
  });
  map.addControl(new maplibregl.NavigationControl());
  window.eolinkMap = map;
  await new Promise((resolve) => map.on("load", resolve));
  const products = await (await fetch("/api/products")).json();
  const list = document.getElementById("products");
  const bounds = new maplibregl.LngLatBounds();
  for (const [index, product] of products.entries()) {
    const colour = PALETTE[index % PALETTE.length];
    const item = document.createElement("li");
    item.innerHTML = `<label><input type="checkbox" checked data-product="${product.id}">` +
      `<span class="swatch" style="background:${colour}"></span>${product.title}</label>` +
      `<span class="meta">${product.type} · ${product.features} features</span>`;
    list.appendChild(item);
    const data = await (await fetch(`/api/products/${encodeURIComponent(product.id)}/features.geojson`)).json();
    addProductLayers(map, product, colour, data);
    extend(bounds, data);
    item.querySelector("input").addEventListener("change", (event) => {
      for (const layer of layerIds(product.id)) {
        map.setLayoutProperty(layer, "visibility", event.target.checked ? "visible" : "none");
      }
    });
  }
  if (!bounds.isEmpty()) map.fitBounds(bounds, { padding: 30, animate: false });
  setStatus(products.length ? "" : "The store has no products yet: run `eolink ingest` or `eolink demo`.");
  document.body.dataset.ready = "true";
}

main().catch((err) => setStatus(String(err)));
