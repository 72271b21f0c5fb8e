"""Spatial aggregates (GeoSPARQL 1.1): accumulators for pyoxigraph's ``custom_aggregate_functions``.

pyoxigraph creates one accumulator per group, calls ``accumulate(term)`` for each bound
value and ``finish()`` once; ``None`` from ``finish`` leaves the result unbound. Every
geometry is reprojected into the CRS of the group's first geometry, and the result is
a ``geo:wktLiteral`` in that CRS. As for the SPARQL built-in aggregates, one value
that is not a geometry literal makes the whole aggregate an error (unbound); an empty
group is unbound too. pyoxigraph passes one argument to custom aggregates, so
``aggConcaveHull`` uses the default ratio :data:`~.constructive.CONCAVE_HULL_RATIO`
instead of the ``targetPercent`` argument of the 1.1 signature.

>>> import pyoxigraph as ox
>>> acc = AGGREGATE_CLASSES["aggBoundingBox"]()
>>> for wkt in ("POINT (0 0)", "POINT (2 1)"):
...     acc.accumulate(ox.Literal(wkt, datatype=ox.NamedNode(WKT_LITERAL)))
>>> acc.finish().value
'POLYGON ((0 0, 2 0, 2 1, 0 1, 0 0))'
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pyoxigraph as ox
import shapely
from shapely.geometry.base import BaseGeometry

from eolink.sparql.geosparql.constructive import CONCAVE_HULL_RATIO
from eolink.sparql.geosparql.terms import WKT_LITERAL, geometry_in_crs, geometry_term, parse_geometry_literal

__all__ = ["GeometryAggregate", "AGGREGATE_CLASSES"]

_log = logging.getLogger(__name__)


class GeometryAggregate:
    """Collects the geometries of a group; subclasses say how to combine them in ``combine``."""

    combine: Callable[[BaseGeometry], BaseGeometry | None] = staticmethod(shapely.union_all)

    def __init__(self) -> None:
        self._crs: str | None = None
        self._geometries: list[BaseGeometry] = []
        self._failed = False

    def accumulate(self, term: object) -> None:
        """Add one group member (pyoxigraph calls this for every bound value)."""
        if self._failed:
            return
        try:
            if self._crs is None:
                self._crs = parse_geometry_literal(term).crs
            self._geometries.append(geometry_in_crs(term, self._crs))
        except Exception as err:  # noqa: BLE001 — never raise into the query engine; the aggregate is unbound
            _log.debug("geof aggregate input rejected: %s", err)
            self._failed = True

    def finish(self) -> ox.Literal | None:
        """The aggregated geometry literal, or ``None`` (unbound)."""
        if self._failed or self._crs is None:
            return None
        try:
            result = type(self).combine(shapely.GeometryCollection(self._geometries))
            return None if result is None else geometry_term(result, self._crs)
        except Exception as err:  # noqa: BLE001 — see accumulate
            _log.debug("geof aggregate failed: %s", err)
            return None


def _aggregate(name: str, combine: Callable[[BaseGeometry], BaseGeometry | None]) -> type[GeometryAggregate]:
    return type(name, (GeometryAggregate,), {"combine": staticmethod(combine), "__doc__": f"``geof:{name}``."})


#: Accumulator classes by geof: local name.
AGGREGATE_CLASSES: dict[str, type[GeometryAggregate]] = {
    "aggUnion": _aggregate("aggUnion", lambda c: shapely.union_all(shapely.get_parts(c))),
    "aggConvexHull": _aggregate("aggConvexHull", shapely.convex_hull),
    "aggConcaveHull": _aggregate("aggConcaveHull", lambda c: shapely.concave_hull(c, ratio=CONCAVE_HULL_RATIO)),
    "aggCentroid": _aggregate("aggCentroid", shapely.centroid),
    "aggBoundingBox": _aggregate("aggBoundingBox", shapely.envelope),
    "aggBoundingCircle": _aggregate("aggBoundingCircle", shapely.minimum_bounding_circle),
}
