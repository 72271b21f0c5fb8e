"""RDF terms ↔ Python values for the geof: functions: geometry literals in, typed literals out.

Geometry literals of the four serialisations are parsed once per (lexical form,
datatype) and cached (:func:`functools.lru_cache`), since one query evaluates the same
literal for many rows; the cached geometries are *prepared* (GEOS prepared geometry),
which makes repeated predicates on them faster. Reprojected copies are cached per
target CRS too. Failures are cached as well, so a malformed literal costs one parse.

>>> import pyoxigraph as ox
>>> term = ox.Literal("<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(60.2 24.9)", datatype=ox.NamedNode(WKT_LITERAL))
>>> geom, crs = parse_geometry_literal(term)
>>> geom.x, crs
(60.2, 'http://www.opengis.net/def/crs/EPSG/0/4326')
>>> geometry_in_crs(term, CRS84).wkt
'POINT (24.9 60.2)'
>>> geometry_term(shapely.Point(1, 2), CRS84).value
'POINT (1 2)'
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pyoxigraph as ox
import shapely
from shapely.geometry.base import BaseGeometry

from eolink.errors import EolinkError, GeometryError, InputError
from eolink.ontology import CRS84, GEO, XSD
from eolink.sparql.geosparql.crs import normalise_crs_iri
from eolink.sparql.geosparql.geojson import parse_geojson
from eolink.sparql.geosparql.gml import parse_gml
from eolink.sparql.geosparql.kml import parse_kml
from eolink.sparql.geosparql.literals import crs_from_iri, format_wkt_literal, parse_wkt_literal, transform_geometry

__all__ = [
    "WKT_LITERAL",
    "GML_LITERAL",
    "GEOJSON_LITERAL",
    "KML_LITERAL",
    "GEOMETRY_DATATYPES",
    "GeometryValue",
    "parse_geometry",
    "parse_geometry_literal",
    "geometry_in_crs",
    "geometry_term",
    "number_value",
    "integer_value",
    "iri_value",
    "string_value",
    "double_term",
    "integer_term",
    "boolean_term",
    "string_term",
    "any_uri_term",
]

WKT_LITERAL = GEO + "wktLiteral"
GML_LITERAL = GEO + "gmlLiteral"
GEOJSON_LITERAL = GEO + "geoJSONLiteral"
KML_LITERAL = GEO + "kmlLiteral"
GEOMETRY_DATATYPES = frozenset({WKT_LITERAL, GML_LITERAL, GEOJSON_LITERAL, KML_LITERAL})

_XSD_DOUBLE = ox.NamedNode(XSD + "double")
_XSD_ANY_URI = ox.NamedNode(XSD + "anyURI")
_WKT = ox.NamedNode(WKT_LITERAL)
_NUMERIC = frozenset(
    XSD + name
    for name in (
        "double", "float", "decimal", "integer", "int", "long", "short", "byte", "nonNegativeInteger",
        "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedLong", "unsignedInt",
        "unsignedShort", "unsignedByte",
    )
)  # fmt: skip
_STRINGS = frozenset({XSD + "string", XSD + "anyURI", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"})


class GeometryValue(NamedTuple):
    """A parsed geometry literal: the shapely geometry (in the CRS's axis order) and its CRS IRI."""

    geometry: BaseGeometry
    crs: str


def _parse_uncached(lexical: str, datatype: str) -> GeometryValue:
    if datatype == WKT_LITERAL:
        geometry, crs = parse_wkt_literal(lexical)
    elif datatype == GML_LITERAL:
        geometry, crs = parse_gml(lexical)
    elif datatype == GEOJSON_LITERAL:
        geometry, crs = parse_geojson(lexical)
    elif datatype == KML_LITERAL:
        geometry, crs = parse_kml(lexical)
    else:
        raise GeometryError(f"<{datatype}> is not a geometry literal datatype")
    crs = normalise_crs_iri(crs)
    crs_from_iri(crs)  # unknown CRS → CRSError now, not at first use
    return GeometryValue(geometry, crs)


@lru_cache(maxsize=65_536)
def _parse_cached(lexical: str, datatype: str) -> GeometryValue | EolinkError:
    try:
        value = _parse_uncached(lexical, datatype)
    except EolinkError as err:
        return err
    shapely.prepare(value.geometry)
    return value


def parse_geometry(lexical: str, datatype: str) -> GeometryValue:
    """Parse (cached) a geometry literal given by lexical form and datatype IRI.

    Raises GeometryError (malformed, or not a geometry datatype) or CRSError (unknown CRS).

    >>> parse_geometry('{"type": "Point", "coordinates": [1, 2]}', GEOJSON_LITERAL).crs
    'http://www.opengis.net/def/crs/OGC/1.3/CRS84'
    """
    value = _parse_cached(lexical, datatype)
    if isinstance(value, EolinkError):
        raise value
    return value


def parse_geometry_literal(term: object) -> GeometryValue:
    """Parse a pyoxigraph geometry literal of any serialisation: (shapely geometry, CRS IRI).

    WKT (optional ``<crs>`` prefix), GML 3.2 (``srsName``), GeoJSON and KML (CRS84).

    >>> parse_geometry_literal(ox.Literal("POINT (1 2)"))
    Traceback (most recent call last):
    ...
    eolink.errors.GeometryError: <http://www.w3.org/2001/XMLSchema#string> is not a geometry literal datatype
    """
    if not isinstance(term, ox.Literal):
        raise GeometryError(f"not a geometry literal: {term!r}")
    return parse_geometry(term.value, term.datatype.value)


@lru_cache(maxsize=65_536)
def _in_crs_cached(lexical: str, datatype: str, crs: str) -> BaseGeometry | EolinkError:
    value = _parse_cached(lexical, datatype)
    if isinstance(value, EolinkError):
        return value
    if value.crs == crs:
        return value.geometry
    try:
        geometry = transform_geometry(value.geometry, value.crs, crs)
    except EolinkError as err:
        return err
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        return GeometryError(f"<{crs}> cannot represent this geometry (reprojection gave infinite coordinates)")
    shapely.prepare(geometry)
    return geometry


def geometry_in_crs(term: object, crs: str) -> BaseGeometry:
    """The geometry of a literal reprojected (cached) into ``crs``."""
    if not isinstance(term, ox.Literal):
        raise GeometryError(f"not a geometry literal: {term!r}")
    value = _in_crs_cached(term.value, term.datatype.value, crs)
    if isinstance(value, EolinkError):
        raise value
    return value


def geometry_term(geometry: BaseGeometry, crs: str) -> ox.Literal:
    """A ``geo:wktLiteral`` for a result geometry (CRS prefix unless CRS84)."""
    if geometry is None:
        raise GeometryError("no geometry")
    return ox.Literal(format_wkt_literal(geometry, crs), datatype=_WKT)


def number_value(term: object) -> float:
    """The value of a numeric literal. Raises InputError otherwise.

    >>> number_value(ox.Literal("10.0", datatype=ox.NamedNode(XSD + "decimal")))
    10.0
    """
    if isinstance(term, ox.Literal) and term.datatype.value in _NUMERIC:
        try:
            value = float(term.value)
        except ValueError as err:
            raise InputError(f"not a number: {term.value!r}") from err
        if math.isfinite(value):
            return value
    raise InputError(f"expected a finite number, got {term!r}")


def integer_value(term: object) -> int:
    """The value of an integral numeric literal."""
    value = number_value(term)
    if not value.is_integer():
        raise InputError(f"expected an integer, got {term!r}")
    return int(value)


def iri_value(term: object) -> str:
    """An IRI given as a NamedNode, an ``xsd:anyURI`` or a plain string literal.

    >>> iri_value(ox.NamedNode("http://www.opengis.net/def/uom/OGC/1.0/metre"))
    'http://www.opengis.net/def/uom/OGC/1.0/metre'
    """
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal) and term.datatype.value in _STRINGS:
        return term.value.strip()
    raise InputError(f"expected an IRI, got {term!r}")


def string_value(term: object) -> str:
    """The lexical form of a string literal."""
    if isinstance(term, ox.Literal) and term.datatype.value in _STRINGS:
        return term.value
    raise InputError(f"expected a string, got {term!r}")


def double_term(value: float) -> ox.Literal | None:
    """An ``xsd:double`` literal (``None`` for NaN/inf: an unbound result)."""
    value = float(value)
    return ox.Literal(repr(value), datatype=_XSD_DOUBLE) if math.isfinite(value) else None


def integer_term(value: int) -> ox.Literal:
    """An ``xsd:integer`` literal."""
    return ox.Literal(int(value))


def boolean_term(value: bool) -> ox.Literal:
    """An ``xsd:boolean`` literal."""
    return ox.Literal(bool(value))


def string_term(value: str) -> ox.Literal:
    """An ``xsd:string`` literal."""
    return ox.Literal(str(value))


def any_uri_term(value: str) -> ox.Literal:
    """An ``xsd:anyURI`` literal."""
    return ox.Literal(str(value), datatype=_XSD_ANY_URI)

