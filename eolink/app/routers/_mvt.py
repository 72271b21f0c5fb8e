"""A vectorised Mapbox Vector Tile (MVT 2.1) encoder for shapely geometries.

Geometry commands of all features of a tile are built at once with numpy (ring
orientation, delta and zigzag coding, varints); only the final protobuf framing
loops over features. Geometries must already be in tile coordinates (x right,
y down, ``0 … extent``); :func:`tile_transform` gets them there from EPSG:3857.

>>> import shapely, mapbox_vector_tile
>>> data = encode_layer("features", [shapely.box(0, 0, 10, 10)], [{"name": "a"}], extent=4096)
>>> tile = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
>>> tile["features"]["features"][0]["properties"]
{'name': 'a'}
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence

import numpy as np
import shapely

__all__ = ["encode_layer", "tile_bounds", "tile_transform"]

_MOVE_TO, _LINE_TO, _CLOSE_PATH = 1, 2, 7
_HALF = 20037508.342789244


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """EPSG:3857 bounds (minx, miny, maxx, maxy) of the XYZ tile ``z/x/y``.

    >>> [round(v) for v in tile_bounds(0, 0, 0)]
    [-20037508, -20037508, 20037508, 20037508]
    """
    size = 2 * _HALF / (1 << z)
    minx = -_HALF + x * size
    maxy = _HALF - y * size
    return minx, maxy - size, minx + size, maxy


def tile_transform(geometries: np.ndarray, bounds: tuple[float, float, float, float], *, extent: int = 4096) -> np.ndarray:
    """EPSG:3857 geometries → tile coordinates (y down) of the tile with ``bounds``.

    >>> g = tile_transform(np.array([shapely.Point(0, 0)]), (-10, -10, 10, 10), extent=20)
    >>> g[0].wkt
    'POINT (10 10)'
    """
    minx, _, maxx, maxy = bounds
    scale = extent / (maxx - minx)
    offset = np.array([minx, maxy])
    factor = np.array([scale, -scale])
    return shapely.transform(geometries, lambda c: (c - offset) * factor)


def _varints(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Varint bytes of non-negative integers, and the byte offset where each value starts (plus the end)."""
    v = values.astype(np.uint64)
    nbytes = np.ones(len(v), dtype=np.int64)
    for k in range(1, 10):
        nbytes += v >= np.uint64(1 << (7 * k))
    offsets = np.zeros(len(v) + 1, dtype=np.int64)
    np.cumsum(nbytes, out=offsets[1:])
    out = np.zeros(int(offsets[-1]), dtype=np.uint8)
    for k in range(int(nbytes.max()) if len(v) else 0):
        mask = nbytes > k
        chunk = ((v[mask] >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(np.uint8)
        chunk |= np.where(nbytes[mask] > k + 1, 0x80, 0).astype(np.uint8)
        out[offsets[:-1][mask] + k] = chunk
    return out.tobytes(), offsets


_SMALL = [bytes((i,)) for i in range(128)]


def _varint(value: int) -> bytes:
    if value < 128:
        return _SMALL[value]
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag(values: np.ndarray) -> np.ndarray:
    v = values.astype(np.int64)
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def _dedup(points: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Mask keeping the first point of each group and every point that differs from its predecessor."""
    keep = np.ones(len(points), dtype=bool)
    if len(points) > 1:
        same = np.all(points[1:] == points[:-1], axis=1) & (group[1:] == group[:-1])
        keep[1:] = ~same
    return keep


def _paths(points: np.ndarray, path: np.ndarray, path_feature: np.ndarray, *, closed: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Command integers for paths (rings when ``closed``) given as sorted point rows.

    Returns (commands, path start offsets into commands, path lengths in commands).
    """
    n_paths = len(path_feature)
    counts = np.bincount(path, minlength=n_paths)
    lengths = 2 * counts + (3 if closed else 2)
    starts = np.zeros(n_paths, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    commands = np.zeros(int(lengths.sum()), dtype=np.uint64)
    first_point = np.zeros(n_paths, dtype=np.int64)
    np.cumsum(counts[:-1], out=first_point[1:])
    j = np.arange(len(points)) - first_point[path]
    # Deltas against the previous point of the same feature; the cursor starts at (0, 0) per feature.
    feature = path_feature[path]
    previous = np.zeros_like(points)
    previous[1:] = points[:-1]
    if len(points):
        previous[np.r_[True, feature[1:] != feature[:-1]]] = 0
    delta = _zigzag(points - previous)
    position = starts[path] + np.where(j == 0, 1, 2 + 2 * j)
    commands[position] = delta[:, 0]
    commands[position + 1] = delta[:, 1]
    commands[starts] = _MOVE_TO | (1 << 3)
    commands[starts + 3] = _LINE_TO | ((counts - 1).astype(np.uint64) << np.uint64(3))
    if closed:
        commands[starts + lengths - 1] = _CLOSE_PATH | (1 << 3)
    return commands, starts, lengths


def _polygons(geoms: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    polys, part_of = shapely.get_parts(geoms, return_index=True)
    polygonal = shapely.get_type_id(polys) == 3
    polys, part_of = polys[polygonal], index[part_of[polygonal]]
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    is_exterior = np.r_[True, ring_poly[1:] != ring_poly[:-1]] if len(rings) else np.zeros(0, bool)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    points = np.rint(coords).astype(np.int64)
    not_closing = np.r_[coord_ring[1:] == coord_ring[:-1], False] if len(points) else np.zeros(0, bool)
    points, coord_ring = points[not_closing], coord_ring[not_closing]
    keep = _dedup(points, coord_ring)
    points, coord_ring = points[keep], coord_ring[keep]
    counts = np.bincount(coord_ring, minlength=len(rings))
    # Signed area (shoelace) per ring, in tile coordinates (y down): exteriors must be positive.
    start = np.zeros(len(rings), dtype=np.int64)
    np.cumsum(counts[:-1], out=start[1:])
    nxt = np.arange(len(points)) + 1
    last = start[coord_ring] + counts[coord_ring] - 1
    nxt = np.where(np.arange(len(points)) == last, start[coord_ring], nxt)
    cross = points[:, 0] * points[nxt, 1] - points[nxt, 0] * points[:, 1] if len(points) else np.zeros(0, np.int64)
    area = np.bincount(coord_ring, weights=cross, minlength=len(rings))
    valid = (counts >= 3) & (area != 0)
    exterior_valid = np.zeros(len(polys), dtype=bool)
    exterior_valid[ring_poly[is_exterior]] = valid[is_exterior]
    ring_keep = valid & exterior_valid[ring_poly]
    flip = ring_keep & np.where(is_exterior, area < 0, area > 0)
    # Reverse the rings that wind the wrong way.
    j = np.arange(len(points)) - start[coord_ring]
    order = np.where(flip[coord_ring], start[coord_ring] + counts[coord_ring] - 1 - j, np.arange(len(points)))
    points = points[order]
    point_keep = ring_keep[coord_ring]
    kept_rings = np.flatnonzero(ring_keep)
    renumber = np.full(len(rings), -1)
    renumber[kept_rings] = np.arange(len(kept_rings))
    path_feature = part_of[ring_poly[kept_rings]]
    commands, starts, lengths = _paths(points[point_keep], renumber[coord_ring[point_keep]], path_feature, closed=True)
    return commands, starts, lengths, path_feature


def _lines(geoms: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    lines, part_of = shapely.get_parts(geoms, return_index=True)
    linear = np.isin(shapely.get_type_id(lines), (1, 2))
    lines, part_of = lines[linear], index[part_of[linear]]
    coords, coord_line = shapely.get_coordinates(lines, return_index=True)
    points = np.rint(coords).astype(np.int64)
    keep = _dedup(points, coord_line)
    points, coord_line = points[keep], coord_line[keep]
    counts = np.bincount(coord_line, minlength=len(lines))
    valid = counts >= 2
    renumber = np.full(len(lines), -1)
    renumber[valid] = np.arange(int(valid.sum()))
    point_keep = valid[coord_line]
    path_feature = part_of[valid]
    commands, starts, lengths = _paths(points[point_keep], renumber[coord_line[point_keep]], path_feature, closed=False)
    return commands, starts, lengths, path_feature


def _points(geoms: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    mask = (shapely.get_type_id(parts) == 0) & ~shapely.is_empty(parts)
    parts, feature = parts[mask], index[part_of[mask]]
    points = np.rint(shapely.get_coordinates(parts)).astype(np.int64)
    features, first, counts = np.unique(feature, return_index=True, return_counts=True)
    lengths = 1 + 2 * counts
    starts = np.zeros(len(features), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    commands = np.zeros(int(lengths.sum()), dtype=np.uint64)
    commands[starts] = _MOVE_TO | (counts.astype(np.uint64) << np.uint64(3))
    group = np.repeat(np.arange(len(features)), counts)
    j = np.arange(len(points)) - first[group]
    previous = np.zeros_like(points)
    previous[1:] = points[:-1]
    previous[first] = 0
    delta = _zigzag(points - previous)
    position = starts[group] + 1 + 2 * j
    commands[position] = delta[:, 0]
    commands[position + 1] = delta[:, 1]
    return commands, starts, lengths, features


def _value(value: object) -> bytes:
    if isinstance(value, bool):
        return b"\x38" + (b"\x01" if value else b"\x00")
    if isinstance(value, (int, np.integer)) and -(2**63) <= int(value) < 2**63:
        v = int(value)
        return b"\x30" + _varint((v << 1) ^ (v >> 63))
    if isinstance(value, (float, np.floating)):
        return b"\x19" + struct.pack("<d", float(value))
    text = str(value).encode()
    return b"\x0a" + _varint(len(text)) + text


def _field(number: int, payload: bytes) -> bytes:
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def encode_layer(
    name: str,
    geometries: Sequence[object] | np.ndarray,
    properties: Sequence[Mapping[str, object]],
    *,
    ids: Sequence[int] | np.ndarray | None = None,
    extent: int = 4096,
) -> bytes:
    """One MVT tile holding one layer ``name`` with the given features.

    ``geometries`` are in tile coordinates (see :func:`tile_transform`); each is
    encoded with the dimension of its own type (parts of other dimensions, as
    clipping can produce, are dropped), empty and degenerate ones are skipped.
    Property values that are ``None`` or NaN are left out.

    >>> import shapely, mapbox_vector_tile
    >>> data = encode_layer("l", [shapely.LineString([(1, 1), (5, 5)]), shapely.Point(3, 4)], [{}, {"n": 2}])
    >>> [f["geometry"]["type"] for f in mapbox_vector_tile.decode(data)["l"]["features"]]
    ['LineString', 'Point']
    """
    geoms = np.asarray(geometries, dtype=object)
    if ids is None:
        ids = np.arange(len(geoms))
    ids = np.asarray(ids)
    index = np.arange(len(geoms))
    type_id = shapely.get_type_id(geoms) if len(geoms) else np.zeros(0, int)
    groups = []
    for kind, types, builder in ((3, (3, 6), _polygons), (2, (1, 2, 5), _lines), (1, (0, 4), _points)):
        mask = np.isin(type_id, types) & ~shapely.is_empty(geoms) if len(geoms) else np.zeros(0, bool)
        if mask.any():
            commands, starts, lengths, path_feature = builder(geoms[mask], index[mask])
            groups.append((kind, commands, starts, lengths, path_feature))
    keys: dict[str, int] = {}
    values: dict[tuple[type, object], int] = {}
    features: list[bytes] = []
    for kind, commands, starts, lengths, path_feature in groups:
        if not len(path_feature):
            continue
        blob, offsets = _varints(commands)
        # Paths of one feature are consecutive: a feature spans from its first path start to its last path end.
        boundary = np.r_[True, path_feature[1:] != path_feature[:-1]]
        first = np.flatnonzero(boundary)
        last = np.r_[first[1:], len(path_feature)] - 1
        begin = offsets[starts[first]]
        end = offsets[starts[last] + lengths[last]]
        # Framing per feature: a loop over features (protobuf messages), the geometry bytes come ready-made.
        for f, b, e in zip(path_feature[first].tolist(), begin.tolist(), end.tolist()):
            packed = bytearray()
            for key, value in properties[f].items():
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    continue
                packed += _varint(keys.setdefault(key, len(keys)))
                packed += _varint(values.setdefault((type(value), value), len(values)))
            body = bytearray(b"\x08")
            body += _varint(int(ids[f]))
            if packed:
                body += b"\x12"
                body += _varint(len(packed))
                body += packed
            body += b"\x18"
            body += _SMALL[kind]
            body += b"\x22"
            body += _varint(e - b)
            body += blob[b:e]
            features.append(b"\x12" + _varint(len(body)) + body)
    layer = bytearray(b"\x78\x02")
    layer += _field(1, name.encode())
    for feature in features:
        layer += feature
    for key in keys:
        layer += _field(3, key.encode())
    for (_, value) in values:
        layer += _field(4, _value(value))
    layer += b"\x28" + _varint(extent)
    return _field(3, bytes(layer))
