"""GeoSPARQL geometry literals and CRS IRIs.

A ``geo:wktLiteral`` is ``"<crs-iri> WKT"`` or plain WKT, which means CRS84
(longitude, latitude). EPSG CRSs keep their authority axis order: EPSG:4326 WKT
is (latitude, longitude). Parsed literals are cached, since the same literal
is typically evaluated many times in one query.

>>> geom, crs = parse_wkt_literal("<http://www.opengis.net/def/crs/EPSG/0/32635> POINT(385000 6672000)")
>>> crs
'http://www.opengis.net/def/crs/EPSG/0/32635'
>>> round(to_crs84(geom, crs).x, 3)
24.927
>>> format_wkt_literal(geom, crs)
'<http://www.opengis.net/def/crs/EPSG/0/32635> POINT (385000 6672000)'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from eolink.errors import CRSError, GeometryError
from eolink.ontology import CRS84, EPSG

__all__ = [
    "parse_wkt_literal",
    "parse_wkt_array",
    "format_wkt_literal",
    "crs_from_iri",
    "crs_to_iri",
    "to_crs84",
    "transform_geometry",
]

_PREFIX = re.compile(r"^\s*<([^>]*)>\s*")
_OGC_CRS = "http://www.opengis.net/def/crs/OGC/1.3/"
_OGC_CRS_ALIASES = {"http://www.opengis.net/def/crs/OGC/1.3/CRS84", "http://www.opengis.net/def/crs/OGC/0/CRS84"}


@lru_cache(maxsize=256)
def crs_from_iri(iri: str) -> pyproj.CRS:
    """The pyproj CRS an IRI names (OGC CRS84/CRS84h, EPSG).

    >>> crs_from_iri("http://www.opengis.net/def/crs/EPSG/0/4326").name
    'WGS 84'
    """
    try:
        if iri in _OGC_CRS_ALIASES:
            return pyproj.CRS("OGC:CRS84")
        if iri.startswith(_OGC_CRS):
            return pyproj.CRS(f"OGC:{iri[len(_OGC_CRS):]}")
        match = re.fullmatch(r"https?://www\.opengis\.net/def/crs/EPSG/[^/]+/(\d+)", iri)
        if match:
            return pyproj.CRS.from_epsg(int(match.group(1)))
    except pyproj.exceptions.CRSError as err:
        raise CRSError(f"unknown CRS <{iri}>: {err}") from err
    raise CRSError(f"unknown CRS <{iri}>: use an OGC or EPSG CRS IRI")


def crs_to_iri(crs: pyproj.CRS | str | int | None) -> str:
    """The GeoSPARQL IRI of a CRS; geographic WGS 84 in lon/lat order gives CRS84.

    >>> crs_to_iri("EPSG:32635")
    'http://www.opengis.net/def/crs/EPSG/0/32635'
    >>> crs_to_iri("OGC:CRS84")
    'http://www.opengis.net/def/crs/OGC/1.3/CRS84'
    """
    if crs is None:
        return CRS84
    crs = pyproj.CRS.from_user_input(crs)
    if crs.equals(pyproj.CRS("OGC:CRS84")):
        return CRS84
    authority = crs.to_authority()
    if authority and authority[0] == "EPSG":
        return f"{EPSG}{authority[1]}"
    if authority and authority[0] == "OGC":
        return f"{_OGC_CRS}{authority[1]}"
    raise CRSError(f"CRS {crs.name!r} has no EPSG or OGC code")


@lru_cache(maxsize=65_536)
def parse_wkt_literal(lexical: str) -> tuple[BaseGeometry, str]:
    """Parse a ``geo:wktLiteral``: (shapely geometry, CRS IRI). Raises GeometryError or CRSError."""
    crs = CRS84
    text = lexical
    match = _PREFIX.match(lexical)
    if match:
        crs = match.group(1)
        text = lexical[match.end():]
        crs_from_iri(crs)
    text = text.strip()
    if not text:
        return shapely.from_wkt("GEOMETRYCOLLECTION EMPTY"), crs
    try:
        geometry = shapely.from_wkt(text)
    except shapely.errors.GEOSException as err:
        raise GeometryError(f"malformed WKT {text[:80]!r}: {err}") from err
    if geometry is None:
        raise GeometryError(f"malformed WKT {text[:80]!r}")
    return geometry, crs


def format_wkt_literal(geometry: BaseGeometry, crs: str = CRS84) -> str:
    """The lexical form of a ``geo:wktLiteral`` (no prefix for CRS84).

    >>> format_wkt_literal(shapely.Point(1, 2))
    'POINT (1 2)'
    """
    wkt = shapely.to_wkt(geometry, rounding_precision=-1, trim=True)
    return wkt if crs in _OGC_CRS_ALIASES else f"<{crs}> {wkt}"


@lru_cache(maxsize=1024)
def _transformer(source: str, target: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(crs_from_iri(source), crs_from_iri(target), always_xy=False)


def transform_geometry(geometry: BaseGeometry | np.ndarray, source: str, target: str) -> BaseGeometry | np.ndarray:
    """Reproject (arrays of) geometries between CRS IRIs, respecting each CRS's axis order."""
    if source == target or {source, target} <= _OGC_CRS_ALIASES:
        return geometry
    transformer = _transformer(source, target)

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, project)


def to_crs84(geometry: BaseGeometry | np.ndarray, crs: str) -> BaseGeometry | np.ndarray:
    """Reproject to CRS84 (lon/lat)."""
    return transform_geometry(geometry, crs, CRS84)


_CRS_PREFIX = re.compile(r"^\s*<([^>]*)>\s*(.*)$", re.DOTALL)


def parse_wkt_array(lexicals: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Parse many ``geo:wktLiteral`` lexical forms at once: (geometries, CRS IRIs), vectorised per CRS.

    >>> geoms, crss = parse_wkt_array(["POINT (1 2)", "<http://www.opengis.net/def/crs/EPSG/0/3067> POINT (3 4)"])
    >>> [g.x for g in geoms], crss.tolist()
    ([1.0, 3.0], ['http://www.opengis.net/def/crs/OGC/1.3/CRS84', 'http://www.opengis.net/def/crs/EPSG/0/3067'])
    """
    texts = [str(text) for text in lexicals]
    crss = np.full(len(texts), CRS84, dtype=object)
    bodies = np.empty(len(texts), dtype=object)
    bodies[:] = texts
    # only literals that start with "<" carry a CRS IRI: the regex runs on those alone
    for i, text in enumerate(texts):
        if text[:1] == "<" or (text[:1].isspace() and text.lstrip().startswith("<")):
            match = _CRS_PREFIX.match(text)
            if match:
                crss[i], bodies[i] = match.group(1), match.group(2)
    for crs in set(crss.tolist()):
        crs_from_iri(crs)
    geometries = np.empty(len(bodies), dtype=object)
    try:
        # in slices: a long call holds the GIL, and a load parses in a thread beside the loader
        for start in range(0, len(bodies), _PARSE_SLICE):
            geometries[start:start + _PARSE_SLICE] = shapely.from_wkt(bodies[start:start + _PARSE_SLICE])
    except shapely.errors.GEOSException as err:
        raise GeometryError(f"malformed WKT: {err}") from err
    return geometries, crss


_PARSE_SLICE = 50_000
