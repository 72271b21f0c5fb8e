"""The GeoSPARQL function library: literals, CRSs and units, and the geof: functions.

One registry of IRI → function, used by the embedded store and the federator:

>>> import pyoxigraph as ox
>>> store = ox.Store()
>>> rows = store.query(
...     'PREFIX geof: <http://www.opengis.net/def/function/geosparql/> '
...     'PREFIX geo: <http://www.opengis.net/ont/geosparql#> '
...     'SELECT ?b WHERE { BIND(geof:sfIntersects("POINT (1 1)"^^geo:wktLiteral, '
...     '"POLYGON ((0 0, 2 0, 2 2, 0 2, 0 0))"^^geo:wktLiteral) AS ?b) }',
...     custom_functions=custom_functions(), custom_aggregate_functions=custom_aggregates())
>>> [row["b"].value for row in rows]
['true']

Modules: :mod:`.literals` (WKT, CRS IRIs), :mod:`.gml`, :mod:`.geojson`, :mod:`.kml`
(serialisations), :mod:`.terms` (RDF terms, parse cache), :mod:`.crs` (geodesy),
:mod:`.units`, :mod:`.relations`, :mod:`.constructive`, :mod:`.measurement`,
:mod:`.aggregates` and :mod:`.registry` (the table and its adapters).
"""

from eolink.sparql.geosparql.literals import (
    crs_from_iri,
    crs_to_iri,
    format_wkt_literal,
    parse_wkt_array,
    parse_wkt_literal,
    to_crs84,
)
from eolink.sparql.geosparql.registry import AGGREGATES, FUNCTIONS, custom_aggregates, custom_functions
from eolink.sparql.geosparql.terms import GeometryValue, parse_geometry_literal

__all__ = [
    "FUNCTIONS",
    "AGGREGATES",
    "custom_functions",
    "custom_aggregates",
    "parse_geometry_literal",
    "GeometryValue",
    "parse_wkt_literal",
    "parse_wkt_array",
    "format_wkt_literal",
    "crs_from_iri",
    "crs_to_iri",
    "to_crs84",
]
