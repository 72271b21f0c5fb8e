"""CRS facts the geof: functions need: IRI spellings, geographic or projected, axis units, geodesy.

Metric results (``geof:metricDistance``, ``metricArea``, ``buffer`` in metres…) are
computed in one of two ways, chosen by the CRS of the (first) geometry:

* **geographic CRS** (CRS84, EPSG:4326 and other lon/lat or lat/lon CRSs): on the
  WGS 84 ellipsoid with :class:`pyproj.Geod` (Karney's geodesic algorithms), after
  reprojecting to CRS84. Lengths, perimeters and areas are exact ellipsoidal values
  for geodesic edges between the vertices (the convention of PostGIS ``geography``);
  degrees are not metres, so a planar computation on such coordinates would be wrong
  by a factor that depends on latitude (cos 60° = 0.5 in Helsinki).
* **projected CRS** (EPSG:32635, EPSG:3067…): planar, in the CRS's own axis unit
  converted to metres. GeoSPARQL says "calculations are in the spatial reference
  system of geom1", and this is what PostGIS does for ``geometry``; it differs from
  the geodesic value only by the projection's scale error (< 0.1 % inside a UTM or
  TM35FIN zone).

A geodesic *distance* or *buffer* between arbitrary shapes has no closed form, so
for geographic CRSs they are computed in an azimuthal equidistant projection centred
on the shapes (distances from the centre are exact); the distance between the two
nearest points found there is then measured geodesically. Edges are straight lines in
longitude/latitude, as for the topological functions (GEOS works on the coordinates),
so they are densified (0.001°) before projecting. Geometries crossing the
antimeridian are not handled specially.

>>> normalise_crs_iri("urn:ogc:def:crs:EPSG::4326")
'http://www.opengis.net/def/crs/EPSG/0/4326'
>>> is_geographic("http://www.opengis.net/def/crs/EPSG/0/3067")
False
>>> round(metric_length(shapely.LineString([(24, 60), (25, 60)]), CRS84))
55799
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from eolink.errors import CRSError
from eolink.ontology import CRS84, EPSG
from eolink.sparql.geosparql.literals import crs_from_iri, to_crs84, transform_geometry

__all__ = [
    "GEOD",
    "MEAN_EARTH_RADIUS",
    "normalise_crs_iri",
    "is_geographic",
    "metres_per_unit",
    "metric_length",
    "metric_area",
    "metric_distance",
    "metric_buffer",
]

GEOD = pyproj.Geod(ellps="WGS84")
#: Mean radius R1 = (2a + b) / 3 of the WGS 84 ellipsoid, used for angular units.
MEAN_EARTH_RADIUS = (2 * GEOD.a + GEOD.b) / 3

_URN_EPSG = re.compile(r"^urn:ogc:def:crs:EPSG:[^:]*:(\d+)$", re.IGNORECASE)
_SHORT_EPSG = re.compile(r"^EPSG:(\d+)$", re.IGNORECASE)
_CRS84_SPELLINGS = {
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "OGC:CRS84",
    "CRS84",
    "http://www.opengis.net/def/crs/OGC/0/CRS84",
    "https://www.opengis.net/def/crs/OGC/1.3/CRS84",
}


def normalise_crs_iri(name: str) -> str:
    """The GeoSPARQL CRS IRI for the spellings found in GML ``srsName`` and elsewhere.

    >>> normalise_crs_iri("EPSG:3067")
    'http://www.opengis.net/def/crs/EPSG/0/3067'
    >>> normalise_crs_iri("urn:ogc:def:crs:OGC:1.3:CRS84")
    'http://www.opengis.net/def/crs/OGC/1.3/CRS84'
    """
    name = name.strip()
    if name in _CRS84_SPELLINGS:
        return CRS84
    match = _URN_EPSG.match(name) or _SHORT_EPSG.match(name)
    if match:
        return f"{EPSG}{match.group(1)}"
    match = re.fullmatch(r"https?://www\.opengis\.net/def/crs/EPSG/[^/]+/(\d+)", name)
    if match:
        return f"{EPSG}{match.group(1)}"
    return name


@lru_cache(maxsize=256)
def is_geographic(crs: str) -> bool:
    """Whether the CRS IRI names a geographic (angular) CRS. Raises CRSError if unknown.

    >>> is_geographic(CRS84)
    True
    """
    return bool(crs_from_iri(crs).is_geographic)


@lru_cache(maxsize=256)
def metres_per_unit(crs: str) -> float:
    """Metres in one unit of a projected CRS's first axis (1.0 for metre CRSs).

    >>> metres_per_unit("http://www.opengis.net/def/crs/EPSG/0/2277")  # US survey feet
    0.30480060960121924
    """
    parsed = crs_from_iri(crs)
    if parsed.is_geographic or not parsed.axis_info:
        raise CRSError(f"<{crs}> has no linear axis unit")
    return float(parsed.axis_info[0].unit_conversion_factor)


def _parts(geometry: BaseGeometry) -> list[BaseGeometry]:
    """The non-collection members of a geometry, collections flattened recursively."""
    if shapely.get_type_id(geometry) < 4:
        return [geometry]
    return [leaf for part in shapely.get_parts(geometry) for leaf in _parts(part)]


def _geodesic_length(lonlat: BaseGeometry) -> float:
    total = 0.0
    for part in _parts(lonlat):
        if part.is_empty:
            continue
        if part.geom_type == "Polygon":
            rings = [part.exterior, *part.interiors]
        elif part.geom_type in ("LineString", "LinearRing"):
            rings = [part]
        else:  # points have no length
            continue
        for ring in rings:
            xy = np.asarray(ring.coords)[:, :2]
            total += float(GEOD.line_length(xy[:, 0], xy[:, 1]))
    return total


def metric_length(geometry: BaseGeometry, crs: str) -> float:
    """Length in metres (perimeter, holes included, for polygons; 0 for points).

    >>> metric_length(shapely.LineString([(0, 0), (3000, 4000)]), EPSG + "32635")
    5000.0
    """
    if is_geographic(crs):
        return _geodesic_length(to_crs84(geometry, crs))
    return float(shapely.length(geometry)) * metres_per_unit(crs)


def metric_area(geometry: BaseGeometry, crs: str) -> float:
    """Area in square metres (0 for points and lines).

    >>> metric_area(shapely.box(0, 0, 100, 100), EPSG + "3067")
    10000.0
    """
    if not is_geographic(crs):
        return float(shapely.area(geometry)) * metres_per_unit(crs) ** 2
    total = 0.0
    for part in _parts(to_crs84(geometry, crs)):
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        rings = [part.exterior, *part.interiors]
        areas = []
        for ring in rings:
            xy = np.asarray(ring.coords)[:, :2]
            areas.append(abs(GEOD.polygon_area_perimeter(xy[:, 0], xy[:, 1])[0]))
        total += areas[0] - sum(areas[1:])
    return total


_DENSIFY_DEGREES = 0.001


@lru_cache(maxsize=4096)
def _aeqd(lon: float, lat: float) -> tuple[pyproj.Transformer, pyproj.Transformer]:
    local = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat:.9f} +lon_0={lon:.9f} +datum=WGS84 +units=m +no_defs")
    wgs = pyproj.CRS("OGC:CRS84")
    return (
        pyproj.Transformer.from_crs(wgs, local, always_xy=True),
        pyproj.Transformer.from_crs(local, wgs, always_xy=True),
    )


def _apply(transformer: pyproj.Transformer, geometry: BaseGeometry) -> BaseGeometry:
    def project(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, project)


def _geodesic_distance(a: BaseGeometry, b: BaseGeometry) -> float:
    """Geodesic distance between lon/lat geometries (see the module docstring)."""
    if shapely.intersects(a, b):
        return 0.0
    if a.geom_type == "Point" and b.geom_type == "Point":
        return float(GEOD.inv(a.x, a.y, b.x, b.y)[2])
    # Edges are straight in longitude/latitude (as for the topological functions), not
    # geodesics: densify them (~100 m) so that the projection keeps their shape.
    a, b = shapely.segmentize(a, _DENSIFY_DEGREES), shapely.segmentize(b, _DENSIFY_DEGREES)
    near = shapely.shortest_line(a, b)
    for _ in range(2):  # refine once: the centre moves to the nearest points found
        (x1, y1), (x2, y2) = near.coords
        centre = shapely.Point((x1 + x2) / 2, (y1 + y2) / 2)
        forward, inverse = _aeqd(round(centre.x, 9), round(centre.y, 9))
        near = _apply(inverse, shapely.shortest_line(_apply(forward, a), _apply(forward, b)))
    (x1, y1), (x2, y2) = near.coords
    return float(GEOD.inv(x1, y1, x2, y2)[2])


def metric_distance(a: BaseGeometry, b: BaseGeometry, crs: str) -> float:
    """Shortest distance in metres between two geometries in the same CRS.

    >>> round(metric_distance(shapely.Point(24, 60), shapely.Point(25, 60), CRS84), 1)
    55799.5
    """
    if a.is_empty or b.is_empty:
        raise ValueError("distance to an empty geometry is undefined")
    if is_geographic(crs):
        return _geodesic_distance(to_crs84(a, crs), to_crs84(b, crs))
    return float(shapely.distance(a, b)) * metres_per_unit(crs)


def metric_buffer(geometry: BaseGeometry, crs: str, radius: float, *, quad_segs: int = 8) -> BaseGeometry:
    """Buffer by ``radius`` metres; the result stays in ``crs``.

    >>> metric_buffer(shapely.Point(500000, 6700000), EPSG + "3067", 10).area > 310
    True
    """
    if not math.isfinite(radius):
        raise ValueError("the buffer radius must be finite")
    if not is_geographic(crs):
        return shapely.buffer(geometry, radius / metres_per_unit(crs), quad_segs=quad_segs)
    lonlat = shapely.segmentize(to_crs84(geometry, crs), _DENSIFY_DEGREES)  # keep lon/lat-straight edges
    if lonlat.is_empty:
        return geometry
    centre = lonlat.centroid
    forward, inverse = _aeqd(round(centre.x, 9), round(centre.y, 9))
    buffered = _apply(inverse, shapely.buffer(_apply(forward, lonlat), radius, quad_segs=quad_segs))
    return transform_geometry(buffered, CRS84, crs)
