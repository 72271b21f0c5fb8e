"""Map layers built from SPARQL results: geometry column detection, reprojection, tiles, GeoJSON.

A :class:`Layer` holds the features of one query in CRS84 and EPSG:3857 with
their other columns. Its geometry column is the first one holding
``geo:wktLiteral`` (any CRS: the ``<crs-iri>`` prefix is honoured) or
``geo:geoJSONLiteral`` values; a ``xsd:dateTime``/``xsd:date`` column becomes
the layer's time. Small layers are sent to the browser as GeoJSON, large ones
as vector tiles cut on demand (:meth:`Layer.tile`): features smaller than a
pixel are dropped at that zoom and the rest simplified to the pixel size.

>>> import pyoxigraph as ox
>>> from eolink.sparql.results import QueryResult
>>> wkt = ox.NamedNode("http://www.opengis.net/ont/geosparql#wktLiteral")
>>> lit = ox.Literal("<http://www.opengis.net/def/crs/EPSG/0/32635> POINT (385000 6672000)", datatype=wkt)
>>> layer = layer_from_result(QueryResult.select(["f", "g"], [(ox.NamedNode("http://ex/f"), lit)]), title="t")
>>> layer.geometry_column, round(layer.geometries[0].x, 3)
('g', 24.927)
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import pyoxigraph as ox
import shapely

from eolink.app.routers._mvt import encode_layer, tile_bounds, tile_transform
from eolink.errors import GeometryError, InputError
from eolink.ontology import GEO, XSD
from eolink.sparql.geosparql.literals import parse_wkt_array, to_crs84
from eolink.sparql.results import QueryResult

__all__ = ["Layer", "LayerRegistry", "layer_from_result", "layer_from_arrays", "TILE_THRESHOLD", "layer_id"]

#: Layers with more features than this are served as vector tiles, smaller ones as GeoJSON.
TILE_THRESHOLD = 20_000
#: At most this many features go into one tile (the largest first, then a fixed pseudo-random sample).
MAX_TILE_FEATURES = 8_000

_NUMERIC = {f"{XSD}{t}" for t in ("integer", "decimal", "double", "float", "int", "long", "short", "nonNegativeInteger", "positiveInteger")}
_TIMES = {f"{XSD}dateTime", f"{XSD}date", f"{XSD}dateTimeStamp"}
_WKT, _GEOJSON = f"{GEO}wktLiteral", f"{GEO}geoJSONLiteral"
_HALF = 20037508.342789244


def layer_id(query: str, endpoint: str = "") -> str:
    """A stable id of a layer's query.

    >>> layer_id("SELECT * {}") == layer_id("SELECT * {}")
    True
    """
    return hashlib.sha1(f"{endpoint}\n{query}".encode()).hexdigest()[:16]


@dataclass
class Layer:
    """The features of one query: CRS84 geometries, their columns and the derived statistics."""

    id: str
    title: str
    geometries: np.ndarray
    columns: dict[str, list[object]]
    kinds: dict[str, str]
    geometry_column: str
    time_column: str | None = None
    dropped: int = 0
    _tree: shapely.STRtree | None = field(default=None, repr=False)
    _merc: np.ndarray | None = field(default=None, repr=False)
    _size: np.ndarray | None = field(default=None, repr=False)
    _centroid: np.ndarray | None = field(default=None, repr=False)
    _rank: np.ndarray | None = field(default=None, repr=False)
    _fractions: dict[int, float] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __len__(self) -> int:
        return len(self.geometries)

    @property
    def times(self) -> np.ndarray:
        """Feature times in milliseconds since the epoch (NaN where missing)."""
        if not self.time_column:
            return np.full(len(self), np.nan)
        return np.array([_epoch_ms(v) for v in self.columns[self.time_column]], dtype=float)

    def summary(self) -> dict[str, object]:
        """What the browser needs to draw, style and filter the layer."""
        bounds = shapely.total_bounds(self.geometries) if len(self) else np.full(4, np.nan)
        numeric = {}
        categories = {}
        for name, kind in self.kinds.items():
            values = [v for v in self.columns[name] if v is not None]
            if kind == "number" and values:
                numeric[name] = [float(np.min(values)), float(np.max(values))]
            elif kind in ("iri", "string") and values:
                distinct = sorted(set(map(str, values)))
                if len(distinct) <= 64:
                    categories[name] = distinct
        times = self.times
        time_range = [float(np.nanmin(times)), float(np.nanmax(times))] if np.isfinite(times).any() else None
        types = sorted(set(shapely.get_type_id(self.geometries).tolist())) if len(self) else []
        return {
            "id": self.id,
            "title": self.title,
            "count": len(self),
            "dropped": self.dropped,
            "bbox": None if not np.isfinite(bounds).all() else [float(b) for b in bounds],
            "columns": [{"name": n, "kind": k} for n, k in self.kinds.items()],
            "geometry_column": self.geometry_column,
            "time_column": self.time_column,
            "time_range": time_range,
            "numeric": numeric,
            "categories": categories,
            "geometry_types": [_TYPE_NAMES.get(t, "Geometry") for t in types],
            "tiled": len(self) > TILE_THRESHOLD,
            "tiles": f"/tiles/{self.id}/{{z}}/{{x}}/{{y}}.mvt",
            "geojson": f"/api/layers/{self.id}/features.geojson",
        }

    def properties(self, index: int) -> dict[str, object]:
        """The JSON properties of feature ``index``: every bound non-geometry column, plus ``_t`` (ms) and ``_row``."""
        props: dict[str, object] = {"_row": int(index)}
        for name in self.kinds:
            value = self.columns[name][index]
            if value is not None:  # unbound: left out, as in SPARQL JSON results and vector tiles
                props[name] = value
        if self.time_column:
            t = _epoch_ms(self.columns[self.time_column][index])
            if not math.isnan(t):
                props["_t"] = t
        return props

    def geojson(self, *, limit: int | None = None) -> dict[str, object]:
        """The layer as a GeoJSON FeatureCollection (CRS84)."""
        n = len(self) if limit is None else min(limit, len(self))
        encoded = shapely.to_geojson(self.geometries[:n])
        features = [
            {"type": "Feature", "id": i, "geometry": json.loads(g), "properties": self.properties(i)}
            for i, g in enumerate(encoded)  # building JSON objects: one dict per feature
        ]
        return {"type": "FeatureCollection", "features": features}

    def rows(self, *, offset: int = 0, limit: int = 100) -> dict[str, object]:
        """A page of the layer's table (geometry as WKT shortened to 120 characters)."""
        stop = min(len(self), offset + limit)
        wkt = shapely.to_wkt(self.geometries[offset:stop], rounding_precision=6)
        names = [self.geometry_column, *self.kinds]
        rows = [[w[:120], *(self.columns[n][i] for n in self.kinds)] for i, w in zip(range(offset, stop), wkt)]
        return {"columns": names, "rows": rows, "offset": offset, "total": len(self)}

    def _index(self) -> tuple[shapely.STRtree, np.ndarray, np.ndarray]:
        with self._lock:
            if self._tree is None:
                clipped = shapely.clip_by_rect(self.geometries, -180.0, -85.05, 180.0, 85.05)
                merc = shapely.transform(clipped, _to_mercator)
                bounds = shapely.bounds(merc)
                self._size = np.fmax(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
                self._centroid = shapely.point_on_surface(merc)
                self._rank = np.random.default_rng(0).permutation(len(merc)) / max(len(merc), 1)
                self._merc = merc
                self._tree = shapely.STRtree(merc)
            return self._tree, self._merc, self._size

    def tile(self, z: int, x: int, y: int, *, extent: int = 4096) -> bytes:
        """The vector tile ``z/x/y`` of this layer (MVT, one layer named ``features``)."""
        if not (0 <= z <= 24 and 0 <= x < (1 << z) and 0 <= y < (1 << z)):
            raise InputError(f"no tile {z}/{x}/{y}")
        tree, merc, size = self._index()
        minx, miny, maxx, maxy = tile_bounds(z, x, y)
        pixel = (maxx - minx) / 512
        margin = (maxx - minx) / 64
        candidates = tree.query(shapely.box(minx - margin, miny - margin, maxx + margin, maxy + margin))
        candidates = np.sort(candidates)
        is_point = shapely.get_type_id(merc[candidates]) == 0
        # Features under a pixel (512 px per tile) are drawn as a point on their surface: a dot-density view
        # of dense layers at low zoom. Over the cap, the largest are kept, then a fixed pseudo-random sample,
        # so the same features stay from one zoom to the next.
        small = ~is_point & (size[candidates] < pixel)
        # The same fraction of dots everywhere at one zoom (no density seams between tiles).
        fraction = self._keep_fraction(z)
        if fraction < 1.0:
            keep = ~(small | is_point) | (self._rank[candidates] < fraction)
            candidates, small, is_point = candidates[keep], small[keep], is_point[keep]
        if len(candidates) > MAX_TILE_FEATURES:
            priority = np.where(small | is_point, self._rank[candidates], -1.0 - size[candidates] / (size[candidates].max() + 1.0))
            keep = np.sort(np.argpartition(priority, MAX_TILE_FEATURES)[:MAX_TILE_FEATURES])
            candidates, small = candidates[keep], small[keep]
        geoms = merc[candidates].copy()
        geoms[small] = self._centroid[candidates[small]]
        shapes = ~small
        geoms[shapes] = shapely.clip_by_rect(geoms[shapes], minx - margin, miny - margin, maxx + margin, maxy + margin)
        geoms[shapes] = shapely.simplify(geoms[shapes], pixel / 4, preserve_topology=False)
        local = tile_transform(geoms, (minx, miny, maxx, maxy), extent=extent)
        props = [self._tile_properties(i) for i in candidates.tolist()]  # one dict per feature for the encoder
        return encode_layer("features", local, props, ids=candidates, extent=extent)

    def _keep_fraction(self, z: int) -> float:
        """Share of the dot features kept at zoom ``z``: the densest tile then holds about the cap."""
        with self._lock:
            if z not in self._fractions:
                xy = shapely.get_coordinates(self._centroid)
                size = 2 * _HALF / (1 << z)
                ix = np.floor((xy[:, 0] + _HALF) / size).astype(np.int64)
                iy = np.floor((_HALF - xy[:, 1]) / size).astype(np.int64)
                densest = np.unique(ix * (1 << z) + iy, return_counts=True)[1].max() if len(xy) else 0
                self._fractions[z] = min(1.0, MAX_TILE_FEATURES * 0.9 / densest) if densest else 1.0
            return self._fractions[z]

    def _tile_properties(self, index: int) -> dict[str, object]:
        props = self.properties(index)
        return {k: (v if isinstance(v, (int, float, bool)) else str(v)) for k, v in props.items() if v is not None}


_TYPE_NAMES = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}


def _to_mercator(coords: np.ndarray) -> np.ndarray:
    lon = coords[:, 0]
    lat = np.clip(coords[:, 1], -85.05112878, 85.05112878)
    x = lon * _HALF / 180.0
    y = np.log(np.tan((90.0 + lat) * np.pi / 360.0)) * _HALF / np.pi
    return np.column_stack([x, y])


def _epoch_ms(value: object) -> float:
    if value is None:
        return math.nan
    text = str(value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return math.nan
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp() * 1000.0


def _kind(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return "iri"
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        if dt in (_WKT, _GEOJSON):
            return "geometry"
        if dt in _NUMERIC:
            return "number"
        if dt in _TIMES:
            return "time"
        return "string"
    return "string"


def _python(term: object, kind: str) -> object:
    if term is None:
        return None
    if kind == "number":
        try:
            value = float(term.value)
        except ValueError:
            return None
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    return term.value


def layer_from_result(result: QueryResult, *, title: str, id: str | None = None) -> Layer:
    """A layer from a SELECT result: the first geometry column becomes the geometry, in CRS84.

    Raises :class:`~eolink.errors.InputError` when no column holds WKT or GeoJSON literals.
    """
    names = list(result.variables)
    kinds: dict[str, str] = {}
    for position, name in enumerate(names):
        first = next((row[position] for row in result.rows if row[position] is not None), None)
        kinds[name] = _kind(first)
    geometry_column = next((n for n in names if kinds[n] == "geometry"), None)
    if geometry_column is None:
        raise InputError("the query returns no geometry column: select a geo:wktLiteral or geo:geoJSONLiteral value (e.g. ?wkt from geo:asWKT)")
    g = names.index(geometry_column)
    rows = [row for row in result.rows if isinstance(row[g], ox.Literal) and row[g].datatype.value in (_WKT, _GEOJSON)]
    literals = [row[g] for row in rows]
    geometries = _parse_geometries(literals)
    valid = ~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)
    rows = [row for row, ok in zip(rows, valid) if ok]
    geometries = geometries[valid]
    del kinds[geometry_column]
    columns = {n: [_python(row[names.index(n)], kinds[n]) for row in rows] for n in kinds}
    time_column = next((n for n in kinds if kinds[n] == "time"), None)
    layer_key = id or layer_id(json.dumps(names) + str(len(rows)))
    return Layer(layer_key, title, geometries, columns, kinds, geometry_column, time_column, dropped=len(result.rows) - len(rows))


def _parse_geometries(literals: Sequence[ox.Literal]) -> np.ndarray:
    geometries = np.empty(len(literals), dtype=object)
    is_wkt = np.array([lit.datatype.value == _WKT for lit in literals], dtype=bool)
    if is_wkt.any():
        parsed, crss = parse_wkt_array([lit.value for lit, w in zip(literals, is_wkt) if w])
        for crs in np.unique(crss):
            mask = crss == crs
            parsed[mask] = to_crs84(parsed[mask], str(crs))
        geometries[is_wkt] = parsed
    if (~is_wkt).any():
        try:
            geometries[~is_wkt] = shapely.from_geojson([lit.value for lit, w in zip(literals, is_wkt) if not w])
        except shapely.errors.GEOSException as err:
            raise GeometryError(f"malformed GeoJSON literal: {err}") from err
    return geometries


def layer_from_arrays(
    id: str,
    title: str,
    geometries: np.ndarray,
    columns: dict[str, Sequence[object]],
    *,
    time_column: str | None = None,
) -> Layer:
    """A layer from CRS84 geometries and columns (kinds inferred: numbers, time, strings).

    >>> layer = layer_from_arrays("x", "X", shapely.points([0, 1], [0, 1]), {"v": [1.5, 2.0]})
    >>> layer.summary()["numeric"]
    {'v': [1.5, 2.0]}
    """
    kinds = {}
    for name, values in columns.items():
        sample = next((v for v in values if v is not None), None)
        kinds[name] = "time" if name == time_column else "number" if isinstance(sample, (int, float, np.number)) else "string"
    data = {n: list(v) for n, v in columns.items()}
    return Layer(id, title, np.asarray(geometries, dtype=object), data, kinds, "geometry", time_column)


class LayerRegistry:
    """The layers the app has built, newest kept (at most ``capacity``), with a tile cache.

    >>> reg = LayerRegistry(capacity=1)
    >>> reg.add(layer_from_arrays("a", "A", shapely.points([0], [0]), {}))
    >>> reg.add(layer_from_arrays("b", "B", shapely.points([0], [0]), {}))
    >>> reg.get("b").title, reg.find("a")
    ('B', None)
    """

    def __init__(self, *, capacity: int = 16, tile_cache: int = 2048) -> None:
        self.capacity = capacity
        self._layers: OrderedDict[str, Layer] = OrderedDict()
        self._tiles: OrderedDict[tuple[str, int, int, int], bytes] = OrderedDict()
        self._tile_cache = tile_cache
        self._lock = threading.Lock()

    def add(self, layer: Layer) -> None:
        """Register ``layer`` (replacing one with the same id)."""
        with self._lock:
            self._layers[layer.id] = layer
            self._layers.move_to_end(layer.id)
            for key in [k for k in self._tiles if k[0] == layer.id]:
                del self._tiles[key]
            while len(self._layers) > self.capacity:
                self._layers.popitem(last=False)

    def find(self, id: str) -> Layer | None:
        """The layer ``id`` or None."""
        with self._lock:
            return self._layers.get(id)

    def get(self, id: str) -> Layer:
        """The layer ``id``; :class:`~eolink.errors.InputError` (404) when unknown or evicted."""
        layer = self.find(id)
        if layer is None:
            raise _NotFound(f"no layer {id!r} (layers are kept in memory: add it again)")
        return layer

    def tile(self, id: str, z: int, x: int, y: int) -> bytes:
        """Tile ``z/x/y`` of layer ``id``, cached."""
        key = (id, z, x, y)
        with self._lock:
            if key in self._tiles:
                self._tiles.move_to_end(key)
                return self._tiles[key]
        data = self.get(id).tile(z, x, y)
        with self._lock:
            self._tiles[key] = data
            while len(self._tiles) > self._tile_cache:
                self._tiles.popitem(last=False)
        return data


class _NotFound(InputError):
    status = 404
    title = "Not found"
