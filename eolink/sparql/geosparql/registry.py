"""The one table of geof: functions: IRI → callable on pyoxigraph terms (store and federator use it).

Each entry adapts a plain function of :mod:`.relations`, :mod:`.constructive` or
:mod:`.measurement` to RDF terms: geometry arguments are parsed (cached) and the
second geometry is reprojected into the first one's CRS; numbers, unit IRIs and
strings are checked; the result becomes a typed literal (``geo:wktLiteral`` in the
first argument's CRS for geometries, ``xsd:double``/``xsd:integer``/``xsd:boolean``/
``xsd:string``/``xsd:anyURI`` otherwise). A malformed literal, an unknown CRS or
unit, a wrong argument type or count, or an undefined result gives ``None`` — the
SPARQL error value, unbound in a BIND and false in a FILTER. Nothing is ever raised
into pyoxigraph.

Names are those of GeoSPARQL 1.1 (OGC 22-047r1), clause "Non-topological Query
Functions", "Spatial Aggregate Functions" and the three topological families.
Discrepancies between the standard's documents, and how they were resolved:

* ``functions.ttl`` of the standard writes ``geof:maxx``/``minx``… and
  ``geof:aggboundingBox``/``aggboundingCircle``; the specification text writes
  ``geof:maxX`` and ``geof:aggBoundingBox``. The specification's camel case is
  canonical here; the lower-case spellings are registered as aliases (:data:`ALIASES`).
* ``functions.ttl`` describes ``geof:centroid`` as an aggregate; the specification
  defines it as a one-geometry function (``geof:aggCentroid`` is the aggregate).
* ``geof:area`` is typed ``rdf:Resource`` in the specification; it returns ``xsd:double``.
  ``geof:area``/``length``/``perimeter`` take a unit (an earlier draft had none): here
  the unit is optional and defaults to ``uom:metre`` (m² for area).
* ``geof:geometryN`` was typed ``(geom): xsd:integer`` in a draft; the 1.1 signature
  ``(geom, index): geomLiteral`` is used, with a 1-based index as in Simple Features.
* ``geof:aggConcaveHull(geom, targetPercent)`` has two arguments, but pyoxigraph's
  custom aggregates take one: the default ratio is used (see :mod:`.aggregates`).
  ``geof:concaveHull`` takes the ratio as an optional second argument (default 0.3).
* Geometry results are always ``geo:wktLiteral`` (the 1.1 text only *recommends*
  following the first argument's serialisation); ``asGML``/``asGeoJSON``/``asKML``
  convert explicitly. ``asGML``'s ``gmlProfile`` argument is optional; GML 3.2 is written.
* ``geof:getSRID`` returns ``xsd:anyURI`` as both 1.0 and 1.1 specify (the 1.0
  benchmark expects a plain string; see the compliance tests).

>>> import pyoxigraph as ox
>>> wkt = ox.NamedNode("http://www.opengis.net/ont/geosparql#wktLiteral")
>>> a = ox.Literal("POLYGON ((0 0, 2 0, 2 2, 0 2, 0 0))", datatype=wkt)
>>> b = ox.Literal("<http://www.opengis.net/def/crs/EPSG/0/4326> POINT (1 1)", datatype=wkt)
>>> FUNCTIONS[GEOF + "sfContains"](a, b).value
'true'
>>> FUNCTIONS[GEOF + "sfContains"](a, ox.Literal("POINT (1")) is None
True
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import Enum, auto
from typing import Any

import pyoxigraph as ox
from shapely.geometry.base import BaseGeometry

from eolink.ontology import GEOF
from eolink.sparql.geosparql import constructive, measurement
from eolink.sparql.geosparql.aggregates import AGGREGATE_CLASSES
from eolink.sparql.geosparql.crs import normalise_crs_iri
from eolink.sparql.geosparql.geojson import format_geojson
from eolink.sparql.geosparql.gml import format_gml
from eolink.sparql.geosparql.kml import format_kml
from eolink.sparql.geosparql.literals import crs_from_iri, to_crs84
from eolink.sparql.geosparql.relations import RELATIONS, relate
from eolink.sparql.geosparql.terms import (
    GEOJSON_LITERAL,
    GML_LITERAL,
    KML_LITERAL,
    GeometryValue,
    any_uri_term,
    boolean_term,
    double_term,
    geometry_in_crs,
    geometry_term,
    integer_term,
    integer_value,
    iri_value,
    number_value,
    parse_geometry_literal,
    string_term,
    string_value,
)
from eolink.sparql.geosparql.units import METRE, to_metres

__all__ = ["FUNCTIONS", "AGGREGATES", "ALIASES", "custom_functions", "custom_aggregates"]

_log = logging.getLogger(__name__)
TermFunction = Callable[..., "ox.NamedNode | ox.Literal | None"]


class Arg(Enum):
    """How a function argument is decoded from its RDF term."""

    GEOMETRY = auto()  # the first geometry: GeometryValue(geometry, crs)
    OTHER_GEOMETRY = auto()  # a further geometry, reprojected into the first one's CRS: BaseGeometry
    NUMBER = auto()
    INTEGER = auto()
    IRI = auto()  # unit or CRS IRI: NamedNode, xsd:anyURI or string literal
    STRING = auto()


class Out(Enum):
    """How a function result becomes an RDF term."""

    GEOMETRY = auto()  # BaseGeometry in the first argument's CRS
    TERM = auto()  # already a term
    BOOLEAN = auto()
    DOUBLE = auto()
    INTEGER = auto()
    STRING = auto()
    ANY_URI = auto()


_OUT: dict[Out, Callable[[Any], Any]] = {
    Out.TERM: lambda value: value,
    Out.BOOLEAN: boolean_term,
    Out.DOUBLE: double_term,
    Out.INTEGER: integer_term,
    Out.STRING: string_term,
    Out.ANY_URI: any_uri_term,
}


def _adapt(name: str, body: Callable[..., Any], args: tuple[Arg, ...], out: Out, *, optional: tuple[Any, ...] = ()) -> TermFunction:
    """Wrap ``body`` (plain values → plain value) as a pyoxigraph custom function (terms → term | None).

    ``optional`` are the defaults of the trailing arguments that may be left out.
    """
    required = len(args) - len(optional)

    def evaluate(*terms: object) -> ox.NamedNode | ox.Literal | None:
        if not required <= len(terms) <= len(args):
            return None
        try:
            values: list[Any] = []
            first: GeometryValue | None = None
            for kind, term in zip(args, terms, strict=False):
                if kind is Arg.GEOMETRY:
                    first = parse_geometry_literal(term)
                    values.append(first)
                elif kind is Arg.OTHER_GEOMETRY:
                    assert first is not None
                    values.append(geometry_in_crs(term, first.crs))
                elif kind is Arg.NUMBER:
                    values.append(number_value(term))
                elif kind is Arg.INTEGER:
                    values.append(integer_value(term))
                elif kind is Arg.IRI:
                    values.append(iri_value(term))
                else:
                    values.append(string_value(term))
            values.extend(optional[len(terms) - required :])
            result = body(*values)
            if out is Out.GEOMETRY:
                assert first is not None
                return geometry_term(result, first.crs)
            return _OUT[out](result)
        except Exception as err:  # noqa: BLE001 — the SPARQL error value; never raise into pyoxigraph
            _log.debug("geof:%s gave an error: %s", name, err)
            return None

    evaluate.__name__ = evaluate.__qualname__ = name
    evaluate.__doc__ = f"``geof:{name}`` on pyoxigraph terms; ``None`` on error. See {body.__module__}."
    return evaluate


def _relation(name: str, predicate: Callable[[BaseGeometry, BaseGeometry], bool]) -> TermFunction:
    """The hot path (FILTER per row): parse both (cached), reproject (cached), test."""

    def evaluate(*terms: object) -> ox.Literal | None:
        if len(terms) != 2:
            return None
        try:
            first = parse_geometry_literal(terms[0])
            return boolean_term(predicate(first.geometry, geometry_in_crs(terms[1], first.crs)))
        except Exception as err:  # noqa: BLE001 — see _adapt
            _log.debug("geof:%s gave an error: %s", name, err)
            return None

    evaluate.__name__ = evaluate.__qualname__ = name
    evaluate.__doc__ = f"``geof:{name}`` on two geometry literals (xsd:boolean); ``None`` on error."
    return evaluate


def _target_crs(iri: str) -> str:
    iri = normalise_crs_iri(iri)
    crs_from_iri(iri)
    return iri


G, G2, NUM, INT, IRI, STR = Arg.GEOMETRY, Arg.OTHER_GEOMETRY, Arg.NUMBER, Arg.INTEGER, Arg.IRI, Arg.STRING


def _geom(g: GeometryValue) -> BaseGeometry:
    return g.geometry


_SPECS: list[tuple[str, Callable[..., Any], tuple[Arg, ...], Out, tuple[Any, ...]]] = [
    ("relate", lambda a, b, pattern: relate(a.geometry, b, pattern), (G, G2, STR), Out.BOOLEAN, ()),
    # set operations and constructors — results in the first geometry's CRS
    *[(name, lambda a, b, op=op: op(a.geometry, b), (G, G2), Out.GEOMETRY, ()) for name, op in constructive.SET_OPERATIONS.items()],
    ("buffer", lambda g, r, unit: constructive.buffer(g.geometry, g.crs, to_metres(r, unit)), (G, NUM, IRI), Out.GEOMETRY, ()),
    ("metricBuffer", lambda g, r: constructive.buffer(g.geometry, g.crs, r), (G, NUM), Out.GEOMETRY, ()),
    ("convexHull", lambda g: constructive.convex_hull(g.geometry), (G,), Out.GEOMETRY, ()),
    ("concaveHull", lambda g, ratio: constructive.concave_hull(g.geometry, ratio), (G, NUM), Out.GEOMETRY, (constructive.CONCAVE_HULL_RATIO,)),
    ("envelope", lambda g: constructive.envelope(g.geometry), (G,), Out.GEOMETRY, ()),
    ("boundary", lambda g: constructive.boundary(g.geometry), (G,), Out.GEOMETRY, ()),
    ("centroid", lambda g: constructive.centroid(g.geometry), (G,), Out.GEOMETRY, ()),
    ("boundingCircle", lambda g: constructive.bounding_circle(g.geometry), (G,), Out.GEOMETRY, ()),
    ("geometryN", lambda g, n: constructive.geometry_n(g.geometry, n), (G, INT), Out.GEOMETRY, ()),
    (
        "transform",
        lambda g, target: geometry_term(constructive.transform(g.geometry, g.crs, _target_crs(target)), _target_crs(target)),
        (G, IRI),
        Out.TERM,
        (),
    ),
    # serialisations
    ("asWKT", lambda g: geometry_term(g.geometry, g.crs), (G,), Out.TERM, ()),
    ("asGML", lambda g, _profile: ox.Literal(format_gml(g.geometry, g.crs), datatype=ox.NamedNode(GML_LITERAL)), (G, STR), Out.TERM, ("",)),
    ("asGeoJSON", lambda g: ox.Literal(format_geojson(to_crs84(g.geometry, g.crs)), datatype=ox.NamedNode(GEOJSON_LITERAL)), (G,), Out.TERM, ()),
    ("asKML", lambda g: ox.Literal(format_kml(to_crs84(g.geometry, g.crs)), datatype=ox.NamedNode(KML_LITERAL)), (G,), Out.TERM, ()),
    # measurements
    ("distance", lambda a, b, unit: measurement.distance(a.geometry, b, a.crs, unit), (G, G2, IRI), Out.DOUBLE, ()),
    ("metricDistance", lambda a, b: measurement.distance(a.geometry, b, a.crs, METRE), (G, G2), Out.DOUBLE, ()),
    ("area", lambda g, unit: measurement.area(g.geometry, g.crs, unit), (G, IRI), Out.DOUBLE, (METRE,)),
    ("metricArea", lambda g: measurement.area(g.geometry, g.crs, METRE), (G,), Out.DOUBLE, ()),
    ("length", lambda g, unit: measurement.length(g.geometry, g.crs, unit), (G, IRI), Out.DOUBLE, (METRE,)),
    ("metricLength", lambda g: measurement.length(g.geometry, g.crs, METRE), (G,), Out.DOUBLE, ()),
    ("perimeter", lambda g, unit: measurement.perimeter(g.geometry, g.crs, unit), (G, IRI), Out.DOUBLE, (METRE,)),
    ("metricPerimeter", lambda g: measurement.perimeter(g.geometry, g.crs, METRE), (G,), Out.DOUBLE, ()),
    # properties
    ("dimension", lambda g: measurement.dimension(g.geometry), (G,), Out.INTEGER, ()),
    ("coordinateDimension", lambda g: measurement.coordinate_dimension(g.geometry), (G,), Out.INTEGER, ()),
    ("spatialDimension", lambda g: measurement.spatial_dimension(g.geometry), (G,), Out.INTEGER, ()),
    ("isEmpty", lambda g: measurement.is_empty(g.geometry), (G,), Out.BOOLEAN, ()),
    ("isSimple", lambda g: measurement.is_simple(g.geometry), (G,), Out.BOOLEAN, ()),
    ("is3D", lambda g: measurement.is_3d(g.geometry), (G,), Out.BOOLEAN, ()),
    ("isMeasured", lambda g: measurement.is_measured(g.geometry), (G,), Out.BOOLEAN, ()),
    ("numGeometries", lambda g: measurement.num_geometries(g.geometry), (G,), Out.INTEGER, ()),
    ("geometryType", lambda g: measurement.geometry_type(g.geometry), (G,), Out.ANY_URI, ()),
    ("getSRID", lambda g: g.crs, (G,), Out.ANY_URI, ()),
    *[(name, lambda g, bound=bound: bound(g.geometry), (G,), Out.DOUBLE, ()) for name, bound in measurement.BOUNDS.items()],
]

#: Other spellings found in the standard's documents (see the module docstring) → canonical local name.
ALIASES: dict[str, str] = {
    **{name.lower(): name for name in measurement.BOUNDS},
    "aggboundingBox": "aggBoundingBox",
    "aggboundingCircle": "aggBoundingCircle",
}


def _build_functions() -> dict[str, TermFunction]:
    table: dict[str, TermFunction] = {GEOF + name: _relation(name, predicate) for name, predicate in RELATIONS.items()}
    for name, body, args, out, optional in _SPECS:
        table[GEOF + name] = _adapt(name, body, args, out, optional=optional)
    for alias, name in ALIASES.items():
        if GEOF + name in table:
            table[GEOF + alias] = table[GEOF + name]
    return table


#: Every geof: function by full IRI: callables taking pyoxigraph terms and returning a term or None.
FUNCTIONS: dict[str, TermFunction] = _build_functions()

#: Every geof: aggregate by full IRI: zero-argument factories of accumulators (``accumulate``/``finish``).
AGGREGATES: dict[str, Callable[[], Any]] = {GEOF + name: cls for name, cls in AGGREGATE_CLASSES.items()} | {
    GEOF + alias: AGGREGATE_CLASSES[name] for alias, name in ALIASES.items() if name in AGGREGATE_CLASSES
}


def custom_functions() -> dict[ox.NamedNode, TermFunction]:
    """``custom_functions`` for :meth:`pyoxigraph.Store.query` (a fresh dict each call).

    >>> len(custom_functions()) >= 70
    True
    """
    return {ox.NamedNode(iri): function for iri, function in FUNCTIONS.items()}


def custom_aggregates() -> dict[ox.NamedNode, Callable[[], Any]]:
    """``custom_aggregate_functions`` for :meth:`pyoxigraph.Store.query` (a fresh dict each call)."""
    return {ox.NamedNode(iri): factory for iri, factory in AGGREGATES.items()}
