"""Query results: one neutral model and the SPARQL 1.1 result formats.

A :class:`QueryResult` holds the answer of a SELECT (variables and rows of
pyoxigraph terms), an ASK (a boolean) or a CONSTRUCT/DESCRIBE (triples). It is
what every store returns, so the endpoint, the CLI and federation only know it.

>>> from pyoxigraph import Literal, NamedNode
>>> r = QueryResult.select(["s", "n"], [(NamedNode("http://ex/a"), Literal("1"))])
>>> serialize(r, "csv").decode().splitlines()
['s,n', 'http://ex/a,1']
>>> serialize(QueryResult.ask(True), "json")
b'{"head": {}, "boolean": true}'
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from eolink.errors import QueryError

__all__ = [
    "QueryResult",
    "RESULT_FORMATS",
    "RDF_FORMATS",
    "serialize",
    "term_to_json",
    "term_from_json",
    "negotiate",
    "geojson_features",
]

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

#: SPARQL result formats: name -> media type.
RESULT_FORMATS: dict[str, str] = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "geojson": "application/geo+json",
}
#: RDF formats for CONSTRUCT/DESCRIBE: name -> media type.
RDF_FORMATS: dict[str, str] = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
_RDF_OX = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


@dataclass
class QueryResult:
    """The answer to one query; see the module docstring."""

    kind: TypingLiteral["select", "ask", "graph"]
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[ox.Triple] = field(default_factory=list)
    truncated: bool = False

    @classmethod
    def select(cls, variables: Sequence[str], rows: Iterable[Sequence[Term | None]], *, truncated: bool = False) -> QueryResult:
        """A SELECT result."""
        return cls("select", list(variables), [tuple(r) for r in rows], truncated=truncated)

    @classmethod
    def ask(cls, value: bool) -> QueryResult:
        """An ASK result."""
        return cls("ask", boolean=bool(value))

    @classmethod
    def graph(cls, triples: Iterable[ox.Triple], *, truncated: bool = False) -> QueryResult:
        """A CONSTRUCT or DESCRIBE result."""
        return cls("graph", triples=list(triples), truncated=truncated)

    def __len__(self) -> int:
        return len(self.rows) if self.kind == "select" else len(self.triples) if self.kind == "graph" else 1

    def as_dicts(self) -> list[dict[str, Term]]:
        """Rows as ``{variable: term}`` with unbound variables left out."""
        return [{v: t for v, t in zip(self.variables, row) if t is not None} for row in self.rows]

    def column(self, name: str) -> list[Term | None]:
        """All values of one variable."""
        index = self.variables.index(name)
        return [row[index] for row in self.rows]


def term_to_json(term: Term) -> dict[str, str]:
    """A term as a SPARQL 1.1 JSON results binding.

    >>> term_to_json(ox.Literal("chat", language="fr"))
    {'type': 'literal', 'value': 'chat', 'xml:lang': 'fr'}
    """
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {  # type: ignore[dict-item]
                "subject": term_to_json(term.subject),
                "predicate": term_to_json(term.predicate),
                "object": term_to_json(term.object),
            },
        }
    raise TypeError(f"not an RDF term: {term!r}")


def term_from_json(binding: dict[str, object]) -> Term:
    """Inverse of :func:`term_to_json` (also accepts the legacy ``typed-literal``).

    >>> term_from_json({"type": "uri", "value": "http://ex/a"})
    <NamedNode value=http://ex/a>
    """
    kind = binding["type"]
    value = binding["value"]
    if kind == "uri":
        return ox.NamedNode(str(value))
    if kind == "bnode":
        return ox.BlankNode(str(value))
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in binding:
            return ox.Literal(str(value), language=str(binding["xml:lang"]))
        if "datatype" in binding:
            return ox.Literal(str(value), datatype=ox.NamedNode(str(binding["datatype"])))
        return ox.Literal(str(value))
    if kind == "triple" and isinstance(value, dict):
        return ox.Triple(term_from_json(value["subject"]), term_from_json(value["predicate"]), term_from_json(value["object"]))  # type: ignore[arg-type]
    raise QueryError(f"unknown term type {kind!r} in SPARQL JSON results")


def _json(result: QueryResult) -> bytes:
    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": result.boolean}).encode()
    bindings = [
        {v: term_to_json(t) for v, t in zip(result.variables, row) if t is not None} for row in result.rows
    ]
    return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": bindings}}, ensure_ascii=False).encode()


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != _XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return (
        f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}</predicate>"
        f"<object>{_xml_term(term.object)}</object></triple>"
    )


def _xml(result: QueryResult) -> bytes:
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if result.kind == "ask":
        out.append("<head/>")
        out.append(f"<boolean>{'true' if result.boolean else 'false'}</boolean>")
    else:
        out.append("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in result.variables) + "</head>")
        out.append("<results>")
        for row in result.rows:
            cells = "".join(
                f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>" for v, t in zip(result.variables, row) if t is not None
            )
            out.append(f"<result>{cells}</result>")
        out.append("</results>")
    out.append("</sparql>\n")
    return "\n".join(out).encode()


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return str(term)
    return term.value


def _csv(result: QueryResult) -> bytes:
    if result.kind != "select":
        raise QueryError("CSV results exist only for SELECT queries")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([_csv_value(t) for t in row])
    return buffer.getvalue().encode()


def _tsv(result: QueryResult) -> bytes:
    if result.kind != "select":
        raise QueryError("TSV results exist only for SELECT queries")
    lines = ["\t".join("?" + v for v in result.variables)]
    for row in result.rows:
        lines.append("\t".join("" if t is None else str(t) for t in row))
    return ("\n".join(lines) + "\n").encode()


_GEOMETRY_DATATYPES = frozenset(
    "http://www.opengis.net/ont/geosparql#" + name for name in ("wktLiteral", "gmlLiteral", "geoJSONLiteral", "kmlLiteral")
)


def _is_geometry(term: Term | None) -> bool:
    return isinstance(term, ox.Literal) and term.datatype.value in _GEOMETRY_DATATYPES


def _plain(term: Term | None) -> object:
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        kind = term.datatype.value.rsplit("#", 1)[-1]
        if kind in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger"):
            try:
                return int(term.value)
            except ValueError:
                return term.value
        if kind in ("double", "float", "decimal"):
            try:
                return float(term.value)
            except ValueError:
                return term.value
        if kind == "boolean":
            return term.value in ("true", "1")
        return term.value
    if isinstance(term, ox.Triple):
        return str(term)
    return term.value


def geojson_features(result: QueryResult) -> dict[str, object]:
    """A SELECT result as a GeoJSON FeatureCollection (geometries reprojected to CRS84).

    The geometry column is the first variable bound to a geometry literal; the other
    variables become properties (numbers and booleans as JSON values, other terms as
    their lexical form or IRI). Rows whose geometry is unbound or unparsable get a
    ``null`` geometry.

    >>> r = QueryResult.select(["s", "g"], [(ox.NamedNode("http://ex/a"),
    ...     ox.Literal("POINT (1 2)", datatype=ox.NamedNode("http://www.opengis.net/ont/geosparql#wktLiteral")))])
    >>> geojson_features(r)["features"][0]["geometry"]
    {'type': 'Point', 'coordinates': [1.0, 2.0]}
    """
    if result.kind != "select":
        raise QueryError("GeoJSON results exist only for SELECT queries")
    import shapely

    from eolink.errors import EolinkError
    from eolink.sparql.geosparql import parse_geometry_literal, to_crs84

    column = next(
        (i for i in range(len(result.variables)) if any(_is_geometry(row[i]) for row in result.rows)),
        None,
    )
    features = []
    for row in result.rows:  # one feature per row: rows are already materialised Python objects
        geometry = None
        if column is not None and _is_geometry(row[column]):
            try:
                value = parse_geometry_literal(row[column])
                geometry = json.loads(shapely.to_geojson(to_crs84(value.geometry, value.crs)))
            except EolinkError:
                geometry = None
        properties = {v: _plain(t) for i, (v, t) in enumerate(zip(result.variables, row)) if i != column and t is not None}
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    collection: dict[str, object] = {"type": "FeatureCollection", "features": features}
    if column is not None:
        collection["geometryVariable"] = result.variables[column]
    return collection


def _geojson(result: QueryResult) -> bytes:
    return json.dumps(geojson_features(result), ensure_ascii=False).encode()


def serialize(result: QueryResult, fmt: str) -> bytes:
    """Serialise ``result`` in one of :data:`RESULT_FORMATS` or, for graphs, :data:`RDF_FORMATS`."""
    if result.kind == "graph":
        if fmt not in _RDF_OX:
            raise QueryError(f"CONSTRUCT/DESCRIBE results can be {', '.join(RDF_FORMATS)}, not {fmt}")
        return ox.serialize(result.triples, format=_RDF_OX[fmt]) or b""
    writers = {"json": _json, "xml": _xml, "csv": _csv, "tsv": _tsv, "geojson": _geojson}
    if fmt not in writers:
        raise QueryError(f"results can be {', '.join(RESULT_FORMATS)}, not {fmt}")
    return writers[fmt](result)


def negotiate(accept: str | None, kind: str, requested: str | None = None) -> str:
    """Pick a format name from an ``Accept`` header (or an explicit ``format=`` name).

    >>> negotiate("text/csv, */*;q=0.1", "select")
    'csv'
    >>> negotiate(None, "graph")
    'turtle'
    """
    table = RDF_FORMATS if kind == "graph" else RESULT_FORMATS
    aliases = {"ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples", "json-ld": "jsonld", "rdf": "rdfxml", "srj": "json", "srx": "xml", "geo+json": "geojson"}
    if requested:
        name = aliases.get(requested.lower(), requested.lower())
        if name in table:
            return name
        for key, media in table.items():
            if media == requested:
                return key
        raise QueryError(f"unknown result format {requested!r}; choose one of {', '.join(table)}")
    default = "turtle" if kind == "graph" else "json"
    if not accept:
        return default
    offers: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media, q = pieces[0].lower(), 1.0
        for param in pieces[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        offers.append((-q, position, media))
    extra = {"application/json": "json", "application/xml": "xml", "text/xml": "xml", "text/plain": "ntriples" if kind == "graph" else "tsv"}
    for _, _, media in sorted(offers):
        for key, known in table.items():
            if media == known:
                return key
        if media in extra and extra[media] in table:
            return extra[media]
        if media in ("*/*", "application/*", "text/*"):
            return default
    return default
