"""Independent reference: shapely's own predicates over every pair (no index, no DE-9IM decoding)."""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["BRUTE_FORCE", "brute_force", "random_geometries"]

# GEOS's named predicates and the GeoSPARQL 1.1 Egenhofer patterns for the two eh relations.
BRUTE_FORCE = {
    "sfIntersects": shapely.intersects,
    "sfEquals": shapely.equals,
    "sfTouches": shapely.touches,
    "sfWithin": shapely.within,
    "sfContains": shapely.contains,
    "sfOverlaps": shapely.overlaps,
    "sfCrosses": shapely.crosses,
    "ehCovers": lambda a, b: shapely.relate_pattern(a, b, "T*TFT*FF*"),
    "ehCoveredBy": lambda a, b: shapely.relate_pattern(a, b, "TFF*TFT**"),
}


def brute_force(a: np.ndarray, b: np.ndarray, relations=None) -> set[tuple[int, int, str]]:
    """Every (i, j, relation) over all pairs of ``a`` × ``b``."""
    ii, jj = np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    out = set()
    for name, predicate in BRUTE_FORCE.items():
        if relations is not None and name not in relations:
            continue
        mask = predicate(a[ii], b[jj])
        out |= {(int(i), int(j), name) for i, j in zip(ii[mask], jj[mask])}
    return out


def random_geometries(rng: np.random.Generator, n: int, *, scale: float = 1.0, offset=(0.0, 0.0)) -> np.ndarray:
    """Points, boxes and lines on a 0.1 grid (shared coordinates make boundary cases frequent)."""
    points = shapely.points(np.round(rng.random((n, 2)) * 10, 1))
    corners = np.round(rng.random((n, 2)) * 8, 1)
    sizes = np.round(rng.random((n, 2)) * 3 + 0.1, 1)
    boxes = shapely.box(corners[:, 0], corners[:, 1], corners[:, 0] + sizes[:, 0], corners[:, 1] + sizes[:, 1])
    lines = shapely.linestrings(np.round(rng.random((n, 3, 2)) * 10, 1))
    geoms = np.concatenate([points, boxes, lines, boxes[: n // 4]])
    if scale != 1.0 or offset != (0.0, 0.0):
        geoms = shapely.transform(geoms, lambda c: c * scale + np.asarray(offset))
    return geoms
