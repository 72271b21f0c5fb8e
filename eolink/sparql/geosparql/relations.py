"""Topological relations: the Simple Features, Egenhofer and RCC8 families, and ``relate``.

Each relation is a predicate on two shapely geometries already in the same CRS.
The Simple Features family uses the GEOS predicates (which implement the OGC
dimension-dependent definitions, e.g. ``sfCrosses``/``sfOverlaps``); the Egenhofer
and RCC8 families are the DE-9IM intersection patterns of GeoSPARQL 1.0/1.1
(Tables "Egenhofer relations" and "RCC8 relations"), evaluated with
:func:`shapely.relate_pattern`.

>>> a, b = shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3)
>>> RELATIONS["sfOverlaps"](a, b), RELATIONS["rcc8po"](a, b), RELATIONS["ehMeet"](a, b)
(True, True, False)
>>> relate(a, b, "T*T***T**")
True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

import shapely
from shapely.geometry.base import BaseGeometry

from eolink.errors import InputError

__all__ = ["RELATIONS", "EGENHOFER_PATTERNS", "RCC8_PATTERNS", "relate", "matches_any"]

Relation = Callable[[BaseGeometry, BaseGeometry], bool]

#: DE-9IM patterns of the Egenhofer relations (a relation holds if any pattern matches).
EGENHOFER_PATTERNS: dict[str, tuple[str, ...]] = {
    "ehEquals": ("TFFFTFFFT",),
    "ehDisjoint": ("FF*FF****",),
    "ehMeet": ("FT*******", "F**T*****", "F***T****"),
    "ehOverlap": ("T*T***T**",),
    "ehCovers": ("T*TFT*FF*",),
    "ehCoveredBy": ("TFF*TFT**",),
    "ehInside": ("TFF*FFT**",),
    "ehContains": ("T*TFF*FF*",),
}

#: DE-9IM patterns of the RCC8 relations.
RCC8_PATTERNS: dict[str, tuple[str, ...]] = {
    "rcc8eq": ("TFFFTFFFT",),
    "rcc8dc": ("FFTFFTTTT",),
    "rcc8ec": ("FFTFTTTTT",),
    "rcc8po": ("TTTTTTTTT",),
    "rcc8tppi": ("TTTFTTFFT",),
    "rcc8tpp": ("TFFTTFTTT",),
    "rcc8ntpp": ("TFFTFFTTT",),
    "rcc8ntppi": ("TTTFFTFFT",),
}

_PATTERN = re.compile(r"^[TF*012]{9}$")


def matches_any(a: BaseGeometry, b: BaseGeometry, patterns: tuple[str, ...]) -> bool:
    """Whether the DE-9IM matrix of (a, b) matches any of ``patterns``.

    >>> matches_any(shapely.Point(0, 0), shapely.Point(1, 1), ("FF*FF****",))
    True
    """
    matrix = shapely.relate(a, b)
    return any(all(p == "*" or m == p or (p == "T" and m != "F") for m, p in zip(matrix, pattern, strict=True)) for pattern in patterns)


def relate(a: BaseGeometry, b: BaseGeometry, pattern: str) -> bool:
    """``geof:relate``: whether the DE-9IM matrix of (a, b) matches ``pattern``. Raises InputError on a bad pattern.

    >>> relate(shapely.box(0, 0, 2, 2), shapely.box(0, 0, 1, 1), "T*****FF*")
    True
    """
    if not _PATTERN.match(pattern):
        raise InputError(f"not a DE-9IM pattern: {pattern!r}")
    return bool(shapely.relate_pattern(a, b, pattern))


def _sf(predicate: Callable[[BaseGeometry, BaseGeometry], bool], a: BaseGeometry, b: BaseGeometry) -> bool:
    return bool(predicate(a, b))


#: Every relation function by its geof: local name.
RELATIONS: dict[str, Relation] = {
    "sfEquals": partial(_sf, shapely.equals),
    "sfDisjoint": partial(_sf, shapely.disjoint),
    "sfIntersects": partial(_sf, shapely.intersects),
    "sfTouches": partial(_sf, shapely.touches),
    "sfCrosses": partial(_sf, shapely.crosses),
    "sfWithin": partial(_sf, shapely.within),
    "sfContains": partial(_sf, shapely.contains),
    "sfOverlaps": partial(_sf, shapely.overlaps),
    **{name: partial(matches_any, patterns=patterns) for name, patterns in EGENHOFER_PATTERNS.items()},
    **{name: partial(matches_any, patterns=patterns) for name, patterns in RCC8_PATTERNS.items()},
}
