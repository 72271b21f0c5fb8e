"""Deciding every topological relation from one DE-9IM matrix per pair, vectorised.

GEOS computes the DE-9IM matrix once per candidate pair (``shapely.relate``);
each GeoSPARQL relation is then a pattern test over a ``(n, 9)`` character array,
with the dimension-dependent cases of the Simple Features specification
(overlaps, crosses, equals, touches) decided from the geometries' dimensions.

Many pairs need no matrix at all (:func:`matrix_free` and :func:`relations_from_touches`):
when neither MBR contains the other, a pair of polygons, or of a line and a polygon,
can only intersect, touch, overlap or cross, and GEOS's ``touches`` alone tells which.

>>> import shapely
>>> a = shapely.box(0, 0, 2, 2); b = shapely.box(1, 1, 3, 3)
>>> rel = relations_from_matrices(shapely.relate([a], [b]), [2], [2])
>>> [name for name in RELATIONS if rel[name][0]]
['sfIntersects', 'sfOverlaps']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["RELATIONS", "matches", "relations_from_matrices", "matrix_free", "relations_from_touches",
           "TOUCH_DECIDED"]

#: Relations eolink links with, in output order: local name in the GeoSPARQL namespace.
RELATIONS = (
    "sfIntersects",
    "sfEquals",
    "sfTouches",
    "sfWithin",
    "sfContains",
    "sfOverlaps",
    "sfCrosses",
    "ehCovers",
    "ehCoveredBy",
)


def _as_chars(matrices: Sequence[str] | np.ndarray) -> np.ndarray:
    array = np.asarray(matrices, dtype="U9")
    if array.size == 0:
        return np.empty((0, 9), dtype="U1")
    return array.view("U1").reshape(len(array), 9)


def matches(chars: np.ndarray, pattern: str) -> np.ndarray:
    """Boolean mask of the rows of a ``(n, 9)`` DE-9IM character array matching ``pattern``.

    Pattern letters: ``T`` any non-empty intersection (0, 1, 2), ``F`` empty,
    ``*`` anything, ``0``/``1``/``2`` that exact dimension.

    >>> matches(_as_chars(["212101212", "FF2FF1212"]), "T*T***T**").tolist()
    [True, False]
    """
    mask = np.ones(len(chars), dtype=bool)
    for position, letter in enumerate(pattern):
        column = chars[:, position]
        if letter == "*":
            continue
        if letter == "T":
            mask &= column != "F"
        else:
            mask &= column == letter
    return mask


def _any(chars: np.ndarray, *patterns: str) -> np.ndarray:
    mask = np.zeros(len(chars), dtype=bool)
    for pattern in patterns:
        mask |= matches(chars, pattern)
    return mask


def relations_from_matrices(
    matrices: Sequence[str] | np.ndarray,
    dims_a: Sequence[int] | np.ndarray,
    dims_b: Sequence[int] | np.ndarray,
) -> dict[str, np.ndarray]:
    """Every relation of :data:`RELATIONS` as a boolean array over the pairs.

    Definitions follow GEOS (and so shapely's predicates) for the ``sf`` family and
    GeoSPARQL 1.1's Egenhofer patterns for ``ehCovers`` (``T*TFT*FF*``) and
    ``ehCoveredBy`` (``TFF*TFT**``).
    """
    chars = _as_chars(matrices)
    da = np.asarray(dims_a)
    db = np.asarray(dims_b)
    intersects = ~matches(chars, "FF*FF****")
    same_dim = da == db
    both_points = (da == 0) & (db == 0)
    overlaps = np.where(
        same_dim & (da == 1),
        matches(chars, "1*T***T**"),
        same_dim & matches(chars, "T*T***T**"),
    )
    crosses = np.select(
        [da < db, da > db, (da == 1) & (db == 1)],
        [matches(chars, "T*T******"), matches(chars, "T*****T**"), matches(chars, "0********")],
        default=False,
    )
    return {
        "sfIntersects": intersects,
        "sfEquals": same_dim & matches(chars, "T*F**FFF*"),
        "sfTouches": _any(chars, "FT*******", "F**T*****", "F***T****") & ~both_points,
        "sfWithin": matches(chars, "T*F**F***"),
        "sfContains": matches(chars, "T*****FF*"),
        "sfOverlaps": overlaps,
        "sfCrosses": crosses,
        "ehCovers": matches(chars, "T*TFT*FF*"),
        "ehCoveredBy": matches(chars, "TFF*TFT**"),
    }


#: The relations :func:`relations_from_touches` can be true for; every other one is false on a matrix-free pair.
TOUCH_DECIDED = ("sfIntersects", "sfTouches", "sfOverlaps", "sfCrosses")

# shapely type ids: LineString, LinearRing, MultiLineString / Polygon, MultiPolygon
_LINEAL = (1, 2, 5)
_POLYGONAL = (3, 6)


def matrix_free(types_a: np.ndarray, types_b: np.ndarray, nested: np.ndarray) -> np.ndarray:
    """Pairs whose relations follow from ``intersects`` and ``touches`` alone, without a DE-9IM matrix.

    A pair qualifies when neither MBR contains the other (``nested`` false) and it is polygon ×
    polygon, line × polygon or polygon × line (shapely type ids). Then:

    * ``within``, ``contains``, ``equals``, ``ehCovers``, ``ehCoveredBy`` are false: each needs one
      geometry inside the other, hence its MBR inside the other's.
    * Some vertex of each geometry lies outside the other's closed MBR, so (valid geometries: a
      polygon is the closure of its interior, a line has no zero-length part) each interior meets
      the other's exterior: the ``IE`` and ``EI`` cells are non-empty. ``overlaps`` (two polygons)
      and ``crosses`` (line and polygon) then reduce to "interiors meet", i.e. intersect and do not
      touch. Line × line is left to the matrix (its ``overlaps``/``crosses`` need the *dimension*
      of the interiors' intersection), and so are points (a point's MBR is always nested).

    >>> matrix_free(np.array([3, 3, 1, 0]), np.array([6, 3, 1, 3]), np.array([False, True, False, False])).tolist()
    [True, False, False, False]
    """
    ta, tb = np.asarray(types_a), np.asarray(types_b)
    poly_a, poly_b = np.isin(ta, _POLYGONAL), np.isin(tb, _POLYGONAL)
    line_a, line_b = np.isin(ta, _LINEAL), np.isin(tb, _LINEAL)
    return ~np.asarray(nested, dtype=bool) & ((poly_a & (poly_b | line_b)) | (line_a & poly_b))


def relations_from_touches(
    intersects: np.ndarray, touches: np.ndarray, dims_a: np.ndarray, dims_b: np.ndarray
) -> dict[str, np.ndarray]:
    """Every relation of :data:`RELATIONS` for :func:`matrix_free` pairs, from GEOS's ``intersects`` and ``touches``.

    >>> rel = relations_from_touches(np.array([True, True]), np.array([False, True]), np.array([2, 1]), np.array([2, 2]))
    >>> {name: rel[name].tolist() for name in TOUCH_DECIDED}
    {'sfIntersects': [True, True], 'sfTouches': [False, True], 'sfOverlaps': [True, False], 'sfCrosses': [False, False]}
    """
    hit = np.asarray(intersects, dtype=bool)
    touch = hit & np.asarray(touches, dtype=bool)
    interiors_meet = hit & ~touch
    same_dim = np.asarray(dims_a) == np.asarray(dims_b)
    none = np.zeros(len(hit), dtype=bool)
    out = {name: none for name in RELATIONS}
    out.update(sfIntersects=hit, sfTouches=touch, sfOverlaps=interiors_meet & same_dim,
               sfCrosses=interiors_meet & ~same_dim)
    return out
