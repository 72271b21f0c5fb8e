"""Deciding ``geof:distance(?w, C, unit) < d`` for many candidate literals at once, exactly.

The planner's distance filters used to keep their ``FILTER``: pyoxigraph then called
the geodesic distance function once per candidate (about a millisecond each). Here
the candidates are measured vectorised with a close approximation, and only those
whose approximate distance lies within a safety margin of the threshold are measured
with the function itself; the rest are decided by the approximation. The answer is
therefore the function's own:

* planar CRSs (the first argument's CRS is projected): the function's formula
  (second geometry reprojected into the first one's CRS, GEOS distance times the
  metres per CRS unit), vectorised; the margin only absorbs rounding;
* geographic CRSs: both geometries densified like the function does (edges straight
  in longitude/latitude), projected into one azimuthal equidistant projection centred
  on the whole degree nearest the constant (so that nearby queries share it), GEOS
  distance. Within 500 km of the centre its scale error is
  below 0.4 % (the tangential scale is ρ/R / sin(ρ/R)); the margin is 1 % + 1 m, and
  candidates farther than 500 km are measured with the function.

>>> import shapely
>>> from eolink.ontology import CRS84, GEO
>>> wkt = GEO + "wktLiteral"
>>> literals = [("POINT (24.9400 60.17)", wkt), ("POINT (24.9420 60.17)", wkt), ("POINT (24.9600 60.17)", wkt)]
>>> geoms = shapely.from_wkt([l for l, _ in literals])
>>> crss = np.array([CRS84] * 3, dtype=object)
>>> decide_distance(("POINT (24.94 60.17)", wkt), False, "distance", UOM + "metre", "<", 200.0,
...                 literals, geoms, crss).tolist()
[True, True, False]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyoxigraph as ox
import shapely

from eolink.errors import EolinkError
from eolink.ontology import GEOF, UOM

__all__ = ["decide_distance", "GEODESIC_RADIUS_M"]

#: Candidates farther than this from the constant are measured with the function itself.
GEODESIC_RADIUS_M = 500_000.0
_RELATIVE_MARGIN = 0.01
_ABSOLUTE_MARGIN_M = 1.0


def _exact(function: str, constant: ox.Literal, literal: tuple[str, str], constant_first: bool,
           unit: str | None, op: str, threshold: float) -> bool:
    """The filter evaluated as pyoxigraph would: the registry's function, then the comparison."""
    from eolink.sparql.geosparql.registry import FUNCTIONS

    term = ox.Literal(literal[0], datatype=ox.NamedNode(literal[1]))
    args = [constant, term] if constant_first else [term, constant]
    if function == "distance":
        args.append(ox.NamedNode(unit or UOM + "metre"))
    value = FUNCTIONS[GEOF + function](*args)
    if not isinstance(value, ox.Literal):
        return False
    number = float(value.value)
    return number < threshold if op == "<" else number <= threshold


def _approximate_metres(constant: object, constant_crs: str, constant_first: bool,
                        geoms: np.ndarray, crss: np.ndarray) -> np.ndarray:
    """Approximate distances in metres (NaN where no approximation is trusted)."""
    from eolink.sparql.geosparql.crs import _DENSIFY_DEGREES, _aeqd, is_geographic, metres_per_unit
    from eolink.sparql.geosparql.literals import to_crs84, transform_geometry

    out = np.full(len(geoms), np.nan)
    if shapely.is_empty(constant):
        return out  # the function is an error for every row
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    for crs in set(crss[present].tolist()):
        mask = present & (crss == crs)
        first_crs = constant_crs if constant_first else crs
        try:
            if not is_geographic(first_crs):
                # the function's own planar formula, in the first argument's CRS
                if constant_first:
                    c, g = constant, transform_geometry(geoms[mask], crs, constant_crs)
                else:
                    c, g = transform_geometry(constant, constant_crs, crs), geoms[mask]
                out[mask] = shapely.distance(g, c) * metres_per_unit(first_crs)
                continue
            c84 = to_crs84(constant, constant_crs)
            g84 = to_crs84(geoms[mask], crs)
        except (EolinkError, ValueError):
            continue
        centre = shapely.centroid(c84)
        if shapely.is_empty(centre):
            continue
        # centred on the whole degree nearest the constant: the projection is then shared by nearby
        # queries (making one costs milliseconds); ``reach`` below is measured from that centre
        forward, _ = _aeqd(float(round(centre.x)), float(round(centre.y)))

        def project(coords: np.ndarray) -> np.ndarray:
            x, y = forward.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        local_c = shapely.transform(shapely.segmentize(c84, _DENSIFY_DEGREES), project)
        local_g = shapely.transform(shapely.segmentize(g84, _DENSIFY_DEGREES), project)
        distance = shapely.distance(local_g, local_c)
        # how far from the centre the pair extends (the projection's scale error grows with it)
        corner = np.abs(np.vstack([shapely.bounds(local_g), shapely.bounds(local_c)]))
        reach = np.hypot(corner[:, [0, 2]].max(axis=1), corner[:, [1, 3]].max(axis=1))
        reach = np.maximum(reach[:-1], reach[-1])
        distance[~np.isfinite(distance) | ~(reach <= GEODESIC_RADIUS_M)] = np.nan
        out[mask] = distance
    return out


def decide_distance(
    constant_literal: tuple[str, str],
    constant_first: bool,
    function: str,
    unit: str | None,
    op: str,
    threshold: float,
    literals: Sequence[tuple[str, str]],
    geoms: np.ndarray,
    crss: np.ndarray,
) -> np.ndarray:
    """Whether ``function(?w, C[, unit]) op threshold`` holds for each candidate literal (``?w``).

    ``function`` is ``"distance"`` or ``"metricDistance"``, ``op`` ``"<"`` or ``"<="``;
    ``geoms``/``crss`` are the candidates parsed as the functions parse them.
    """
    from eolink.sparql.geosparql.terms import parse_geometry
    from eolink.sparql.geosparql.units import LINEAR_UNITS

    n = len(literals)
    constant = ox.Literal(constant_literal[0], datatype=ox.NamedNode(constant_literal[1]))
    metres_per = LINEAR_UNITS.get(unit or UOM + "metre") if function == "distance" else 1.0
    approx = np.full(n, np.nan)
    if metres_per is not None and math.isfinite(threshold):
        try:
            value = parse_geometry(*constant_literal)
        except EolinkError:
            return np.zeros(n, dtype=bool)  # the function is an error for every row
        approx = _approximate_metres(value.geometry, value.crs, constant_first, geoms, crss) / metres_per
    margin = _RELATIVE_MARGIN * abs(threshold) + _ABSOLUTE_MARGIN_M / (metres_per or 1.0)
    inside = approx < threshold - margin
    outside = approx > threshold + margin
    result = inside.copy()
    for i in np.flatnonzero(~(inside | outside)):
        result[i] = _exact(function, constant, literals[i], constant_first, unit, op, threshold)
    return result
