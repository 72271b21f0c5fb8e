"""Link discovery on a Dask cluster: space partitioned into tiles, each tile linked on a worker.

The joint extent of both sources is cut into ``tiles × tiles`` rectangles. Each
tile's task receives the geometries (as WKB) of both sides whose MBRs meet the
tile, runs the serial :func:`~eolink.interlink.discovery.discover_links` on them,
and keeps a pair only if the *reference point* of the pair — the lower-left corner
of the intersection of the two MBRs — falls in its tile. Every candidate pair has
exactly one reference point, inside both MBRs, so each pair is verified in exactly
one tile and the merged result equals the serial one, with no duplicates and no
global de-duplication step.

``address`` is a scheduler address (``tcp://host:8786``) or ``"local"`` for a
:class:`distributed.LocalCluster` started (and closed) for the run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import shapely

from eolink.errors import InputError
from eolink.etl.distributed import dask_client  # one client helper for ingest, map and link
from eolink.interlink.de9im import RELATIONS
from eolink.interlink.discovery import LinkSet, _as_geometries, check_relations, discover_links

__all__ = ["dask_client", "discover_links_dask", "tile_grid", "reference_tiles"]


def tile_grid(bounds_a: np.ndarray, bounds_b: np.ndarray, tiles: int) -> tuple[np.ndarray, float, float]:
    """Origin and tile width/height covering both sources' MBRs with ``tiles × tiles`` tiles.

    >>> origin, w, h = tile_grid(np.array([[0, 0, 4, 2.0]]), np.array([[2, 0, 8, 4.0]]), 2)
    >>> origin.tolist(), w, h
    ([0.0, 0.0], 4.0, 2.0)
    """
    both = np.concatenate([bounds_a, bounds_b])
    both = both[np.isfinite(both).all(axis=1)]
    lo = both[:, :2].min(axis=0)
    hi = both[:, 2:].max(axis=0)
    w = float(hi[0] - lo[0]) / tiles or 1.0
    h = float(hi[1] - lo[1]) / tiles or 1.0
    return lo.astype(np.float64), w, h


def reference_tiles(ref_x: np.ndarray, ref_y: np.ndarray, origin: np.ndarray, w: float, h: float, tiles: int) -> np.ndarray:
    """Tile number (row-major) of each reference point; points on the far edge go to the last tile.

    >>> reference_tiles(np.array([0.0, 3.9, 4.0, 8.0]), np.array([0.0, 0, 0, 4]), np.zeros(2), 4.0, 2.0, 2).tolist()
    [0, 0, 1, 3]
    """
    tx = np.clip(np.floor((ref_x - origin[0]) / w), 0, tiles - 1).astype(np.int64)
    ty = np.clip(np.floor((ref_y - origin[1]) / h), 0, tiles - 1).astype(np.int64)
    return ty * tiles + tx


def _link_tile(
    wkb_source: np.ndarray,
    wkb_target: np.ndarray,
    ids_source: np.ndarray,
    ids_target: np.ndarray,
    tile: int,
    origin: np.ndarray,
    w: float,
    h: float,
    tiles: int,
    relations: list[str],
    options: dict[str, Any],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """One tile's links, in global indices (runs on a worker)."""
    src = shapely.from_wkb(wkb_source)
    tgt = shapely.from_wkb(wkb_target)
    sb, tb = shapely.bounds(src), shapely.bounds(tgt)

    def mine(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        rx = np.maximum(sb[i, 0], tb[j, 0])
        ry = np.maximum(sb[i, 1], tb[j, 1])
        return reference_tiles(rx, ry, origin, w, h, tiles) == tile

    links = discover_links(src, tgt, relations=relations, pair_filter=mine, **options)
    # the tile's own candidates are the pairs that passed `mine`, i.e. the pairs it verified
    return ids_source[links.source], ids_target[links.target], links.relation, links.verified, links.verified


def discover_links_dask(
    source: Sequence[shapely.Geometry] | np.ndarray,
    target: Sequence[shapely.Geometry] | np.ndarray,
    *,
    client: Any,
    relations: Iterable[str] = RELATIONS,
    tiles: int | None = None,
    **options: Any,
) -> LinkSet:
    """:func:`~eolink.interlink.discovery.discover_links` spread over the workers of a Dask ``client``.

    ``tiles`` per axis defaults to about two tiles per worker. ``options`` go to the
    per-tile ``discover_links`` (``index=``, ``cell_size=``, ``chunk_size=``, ``pair_filter=`` is
    not supported here). The result equals the serial one exactly.
    """
    if "pair_filter" in options:
        raise InputError("pair filters do not travel to Dask workers; filter the link set afterwards")
    wanted = check_relations(relations)
    src = _as_geometries(source, "source")
    tgt = _as_geometries(target, "target")
    if len(src) == 0 or len(tgt) == 0:
        return LinkSet.empty()
    if tiles is None:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        tiles = max(1, math.ceil(math.sqrt(2 * workers)))
    sb, tb = shapely.bounds(src), shapely.bounds(tgt)
    origin, w, h = tile_grid(sb, tb, tiles)
    wkb_s, wkb_t = shapely.to_wkb(src), shapely.to_wkb(tgt)
    futures = []
    for ty in range(tiles):
        for tx in range(tiles):
            x0, y0 = origin[0] + tx * w, origin[1] + ty * h
            x1, y1 = x0 + w, y0 + h
            # MBRs meeting the closed tile; the outermost tiles reach to infinity (clipped reference points)
            lo_x = -np.inf if tx == 0 else x0
            lo_y = -np.inf if ty == 0 else y0
            hi_x = np.inf if tx == tiles - 1 else x1
            hi_y = np.inf if ty == tiles - 1 else y1
            ids_s = np.flatnonzero((sb[:, 0] <= hi_x) & (sb[:, 2] >= lo_x) & (sb[:, 1] <= hi_y) & (sb[:, 3] >= lo_y))
            ids_t = np.flatnonzero((tb[:, 0] <= hi_x) & (tb[:, 2] >= lo_x) & (tb[:, 1] <= hi_y) & (tb[:, 3] >= lo_y))
            if len(ids_s) == 0 or len(ids_t) == 0:
                continue
            futures.append(client.submit(
                _link_tile, wkb_s[ids_s], wkb_t[ids_t], ids_s, ids_t, ty * tiles + tx, origin, w, h, tiles,
                wanted, dict(options), pure=False,
            ))
    parts = [LinkSet(s, t, r, candidates=c, verified=v) for s, t, r, c, v in client.gather(futures)]
    return LinkSet.concat(parts)
