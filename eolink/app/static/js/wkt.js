// WKT (with an optional "<crs-iri>" prefix, as in geo:wktLiteral) → GeoJSON geometry, and reprojection helpers.
// Used for layers from remote endpoints; layers from this server are parsed and reprojected server-side.

const TYPES = { POINT: "Point", LINESTRING: "LineString", POLYGON: "Polygon", MULTIPOINT: "MultiPoint",
  MULTILINESTRING: "MultiLineString", MULTIPOLYGON: "MultiPolygon", GEOMETRYCOLLECTION: "GeometryCollection" };
export const CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/** Split a geo:wktLiteral into [crs IRI, WKT body]. */
export function splitLiteral(text) {
  const match = /^\s*<([^>]*)>\s*([\s\S]*)$/.exec(text);
  return match ? [match[1], match[2]] : [CRS84, text];
}

/** Parse WKT into a GeoJSON geometry (2D; Z/M ordinates dropped). Throws on malformed input. */
export function parseWkt(text) {
  let pos = 0;
  const src = text.trim();
  const skip = () => { while (pos < src.length && /\s/.test(src[pos])) pos++; };
  const word = () => { skip(); const m = /^[A-Za-z]+/.exec(src.slice(pos)); if (!m) throw new Error(`WKT: word expected at ${pos}`); pos += m[0].length; return m[0].toUpperCase(); };
  const expect = (ch) => { skip(); if (src[pos] !== ch) throw new Error(`WKT: '${ch}' expected at ${pos}`); pos++; };
  const peek = () => { skip(); return src[pos]; };
  const point = () => {
    skip();
    const m = /^[-+0-9.eE]+(\s+[-+0-9.eE]+)+/.exec(src.slice(pos));
    if (!m) throw new Error(`WKT: coordinates expected at ${pos}`);
    pos += m[0].length;
    const values = m[0].trim().split(/\s+/).map(Number);
    return [values[0], values[1]];
  };
  const list = (item) => {
    expect("(");
    const out = [item()];
    while (peek() === ",") { pos++; out.push(item()); }
    expect(")");
    return out;
  };
  const isEmpty = () => { skip(); if (/^EMPTY/i.test(src.slice(pos))) { pos += 5; return true; } return false; };
  const multiPoint = () => (peek() === "(" ? list(point)[0] : point());
  const geometry = () => {
    const name = word();
    let kind = name;
    if (["Z", "M", "ZM"].includes(peek() && /^[A-Za-z]+/.exec(src.slice(pos))?.[0]?.toUpperCase())) word();
    const type = TYPES[kind];
    if (!type) throw new Error(`WKT: unknown geometry type ${name}`);
    if (isEmpty()) return type === "GeometryCollection" ? { type, geometries: [] } : { type, coordinates: [] };
    switch (type) {
      case "Point": return { type, coordinates: list(point)[0] };
      case "LineString": return { type, coordinates: list(point) };
      case "Polygon": return { type, coordinates: list(() => list(point)) };
      case "MultiPoint": return { type, coordinates: list(multiPoint) };
      case "MultiLineString": return { type, coordinates: list(() => list(point)) };
      case "MultiPolygon": return { type, coordinates: list(() => list(() => list(point))) };
      default: return { type, geometries: list(geometry) };
    }
  };
  const result = geometry();
  skip();
  if (pos !== src.length) throw new Error(`WKT: unexpected text at ${pos}`);
  return result;
}

/** Apply `fn([x, y]) → [x, y]` to every position of a GeoJSON geometry (in place) and return it. */
export function mapCoordinates(geometry, fn) {
  const walk = (c) => (typeof c[0] === "number" ? fn(c) : c.map(walk));
  if (geometry.type === "GeometryCollection") geometry.geometries.forEach((g) => mapCoordinates(g, fn));
  else geometry.coordinates = walk(geometry.coordinates);
  return geometry;
}

/** Extend [minx, miny, maxx, maxy] by a GeoJSON geometry. */
export function extendBounds(bounds, geometry) {
  const walk = (c) => {
    if (typeof c[0] === "number") {
      bounds[0] = Math.min(bounds[0], c[0]); bounds[1] = Math.min(bounds[1], c[1]);
      bounds[2] = Math.max(bounds[2], c[0]); bounds[3] = Math.max(bounds[3], c[1]);
    } else c.forEach(walk);
  };
  if (geometry.type === "GeometryCollection") geometry.geometries.forEach((g) => extendBounds(bounds, g));
  else walk(geometry.coordinates);
  return bounds;
}
