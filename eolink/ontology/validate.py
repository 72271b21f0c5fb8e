"""SHACL validation of eolink RDF against ``shapes.ttl``.

:func:`validate` checks a graph, a dataset, or N-Quads/Turtle text against the
shapes, with the ontology and the code lists mixed into the data graph so that
``sh:targetClass`` follows ``rdfs:subClassOf`` (a node typed only
``eol:CropField`` is checked by the ``geo:Feature`` shape too). Every
``geo:asWKT`` literal is moreover parsed with shapely, which a regular
expression cannot do.

Inference is ``"none"`` by default: the shapes are written not to need
entailment (SHACL's class targets already follow the subclass hierarchy of the
mixed-in ontology), and RDFS materialisation with owlrl is the slowest step by
far on large products while adding only domain/range-derived types that no
shape looks at. ``inference="rdfs"`` is available for data that relies on it.

Speed (the hot path for ~10 k features): text is parsed with pyoxigraph
(rdflib's N-Quads parser is ~15x slower), and the shapes are *flattened* once
when loaded: the ``sh:property`` shapes of a node shape that has targets get
that node shape's targets themselves. That is equivalent by the SHACL
definition of targets, but pyshacl then checks each property shape once over
all focus nodes instead of once per focus node (4x faster on 10 k features).

>>> from rdflib import Graph
>>> result = validate(Graph())
>>> result.conforms, result.violations
(True, 0)
"""

from __future__ import annotations

import functools
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyoxigraph
import rdflib
import shapely
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef

from eolink.errors import InputError, ValidationError
from eolink.ontology import GEO, ONTOLOGY_DIR, ontology_files

__all__ = ["ValidationResult", "validate", "assert_valid", "shapes_graph", "ontology_graph", "SHAPES_FILE"]

#: The shipped shapes.
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"

_SH = Namespace("http://www.w3.org/ns/shacl#")
_AS_WKT = URIRef(GEO + "asWKT")
_CRS_PREFIX = re.compile(r"^\s*<[^<>\s]*>\s*")
_MAX_MESSAGES = 10

DataLike = rdflib.Graph | rdflib.Dataset | str | bytes | os.PathLike


@dataclass(frozen=True)
class ValidationResult:
    """Outcome of :func:`validate`.

    ``conforms`` is true when there is no violation (warnings are allowed);
    ``messages`` lists the first violations as one readable line each.
    """

    conforms: bool
    violations: int
    warnings: int = 0
    messages: tuple[str, ...] = ()
    report: str = ""
    seconds: float = 0.0
    triples: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.conforms

    def summary(self) -> str:
        """One line: conformance, counts and the first violation.

        >>> ValidationResult(conforms=False, violations=2, messages=("a", "b")).summary()
        'RDF does not conform: 2 violations, 0 warnings; first: a'
        """
        if self.conforms:
            return f"RDF conforms ({self.triples} triples, {self.warnings} warnings)"
        first = f"; first: {self.messages[0]}" if self.messages else ""
        return f"RDF does not conform: {self.violations} violations, {self.warnings} warnings{first}"


@functools.lru_cache(maxsize=1)
def ontology_graph() -> Graph:
    """The ontology plus every code list, parsed once (do not modify the returned graph)."""
    graph = Graph()
    for path in ontology_files():
        graph.parse(path, format="turtle")
    return graph


_TARGETS = (_SH.targetClass, _SH.targetNode, _SH.targetSubjectsOf, _SH.targetObjectsOf)


def _flatten(shapes: Graph) -> Graph:
    """Copy of ``shapes`` where property shapes of targeted node shapes carry those targets themselves."""
    flat = Graph()
    flat += shapes
    for node_shape in set(flat.subjects(_SH.property, None)):
        targets = [(p, o) for p in _TARGETS for o in flat.objects(node_shape, p)]
        if not targets or (node_shape, _SH.deactivated, Literal(True)) in flat:
            continue
        for prop_shape in list(flat.objects(node_shape, _SH.property)):
            for p, o in targets:
                flat.add((prop_shape, p, o))
            flat.remove((node_shape, _SH.property, prop_shape))
    return flat


@functools.lru_cache(maxsize=8)
def _shapes_from(path: str) -> Graph:
    return _flatten(Graph().parse(path, format="turtle"))


def shapes_graph(shapes: Graph | str | os.PathLike | None = None) -> Graph:
    """The (flattened) shapes graph: the shipped ``shapes.ttl`` (parsed once), a file, or a given graph."""
    if shapes is None:
        return _shapes_from(str(SHAPES_FILE))
    if isinstance(shapes, Graph):
        return _flatten(shapes)
    return _shapes_from(str(Path(shapes)))


def _guess_format(text: str) -> str:
    head = text[:4096]
    if re.search(r"(?im)^\s*(@prefix|@base|prefix\s|base\s)", head) or "[" in head.split("\n", 1)[0]:
        return "turtle"
    return "nquads"


def _working_graph(data: DataLike, fmt: str | None) -> Graph:
    """A fresh graph with every triple of ``data`` (named graphs merged); never the caller's object."""
    graph = Graph()
    if isinstance(data, rdflib.Dataset | rdflib.ConjunctiveGraph):
        graph.addN((s, p, o, graph) for s, p, o, _ in data.quads((None, None, None, None)))
        return graph
    if isinstance(data, Graph):
        graph += data
        return graph
    if isinstance(data, os.PathLike):
        path = Path(data)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise InputError(f"{path}: cannot read RDF: {err}") from err
        if fmt is None:
            fmt = {".nq": "nquads", ".nt": "nquads", ".ttl": "turtle", ".trig": "trig"}.get(path.suffix.lower())
        data = text
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    if not isinstance(data, str):
        raise InputError(f"cannot validate a {type(data).__name__}; give a Graph, a Dataset or RDF text")
    fmt = fmt or _guess_format(data)
    ox_format = _OX_FORMATS.get(fmt)
    if ox_format is None:
        raise InputError(f"unknown RDF format {fmt!r}; expected one of {', '.join(_OX_FORMATS)}")
    convert = _Converter()
    try:
        quads = pyoxigraph.parse(data, format=ox_format)
        graph.addN((convert(q.subject), convert(q.predicate), convert(q.object), graph) for q in quads)
    except SyntaxError as err:
        raise InputError(f"cannot parse RDF as {fmt}: {err}") from err
    return graph


_OX_FORMATS = {
    "nquads": pyoxigraph.RdfFormat.N_QUADS,
    "nt": pyoxigraph.RdfFormat.N_TRIPLES,
    "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
    "turtle": pyoxigraph.RdfFormat.TURTLE,
    "ttl": pyoxigraph.RdfFormat.TURTLE,
    "trig": pyoxigraph.RdfFormat.TRIG,
}
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class _Converter:
    """pyoxigraph terms to rdflib terms, sharing one URIRef per IRI (products repeat a few IRIs a lot)."""

    def __init__(self) -> None:
        self._iris: dict[str, URIRef] = {}
        self._bnodes: dict[str, BNode] = {}

    def __call__(self, term: object) -> rdflib.term.Node:
        if isinstance(term, pyoxigraph.NamedNode):
            iri = term.value
            node = self._iris.get(iri)
            if node is None:
                node = self._iris[iri] = URIRef(iri)
            return node
        if isinstance(term, pyoxigraph.BlankNode):
            node = self._bnodes.get(term.value)
            if node is None:
                node = self._bnodes[term.value] = BNode()
            return node
        if isinstance(term, pyoxigraph.Literal):
            if term.language:
                return Literal(term.value, lang=term.language)
            datatype = term.datatype.value
            if datatype == _XSD_STRING:
                return Literal(term.value)
            return Literal(term.value, datatype=self(term.datatype))
        raise InputError(f"unsupported RDF term {term!r} (RDF-star triples are not validated)")


def _wkt_violations(graph: Graph) -> list[str]:
    """Parse every geo:asWKT literal at once with shapely; one message per unparseable literal."""
    subjects, texts = [], []
    for s, o in graph.subject_objects(_AS_WKT):
        if isinstance(o, Literal):
            subjects.append(s)
            texts.append(_CRS_PREFIX.sub("", str(o)))
    if not texts:
        return []
    geoms = shapely.from_wkt(np.array(texts, dtype=object), on_invalid="ignore")
    bad = np.flatnonzero(shapely.is_missing(geoms))
    return [f"{_short(graph, subjects[i])} geo:asWKT: not parseable WKT: {texts[i][:60]!r}" for i in bad]


def _short(graph: Graph, term: rdflib.term.Node) -> str:
    if isinstance(term, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(term)
        except Exception:  # normalizeUri rejects some IRIs; the full form is fine then
            return f"<{term}>"
    return term.n3() if hasattr(term, "n3") else str(term)


def _messages(results: Graph, severity: URIRef, names: Graph) -> tuple[int, list[str]]:
    lines = []
    count = 0
    for result in results.subjects(_SH.resultSeverity, severity):
        count += 1
        if len(lines) >= _MAX_MESSAGES:
            continue
        focus = results.value(result, _SH.focusNode)
        path = results.value(result, _SH.resultPath)
        value = results.value(result, _SH.value)
        message = results.value(result, _SH.resultMessage)
        line = _short(names, focus) if focus is not None else "?"
        if path is not None:
            line += " " + _short(names, path)
        line += f": {message}" if message is not None else ""
        if value is not None and value != focus:
            text = str(value)
            line += f" (value {text[:60]!r})"
        lines.append(line)
    return count, sorted(lines)


def validate(
    data: DataLike,
    *,
    shapes: Graph | str | os.PathLike | None = None,
    ontology: bool = True,
    inference: str = "none",
    check_wkt: bool = True,
    format: str | None = None,
) -> ValidationResult:
    """Validate eolink RDF against the SHACL shapes.

    Parameters
    ----------
    data
        An rdflib Graph or Dataset (named graphs are merged), N-Quads or Turtle
        text (``format`` guessed unless given), or a path to such a file.
    shapes
        Another shapes graph or file; default the shipped ``shapes.ttl``.
    ontology
        Mix the ontology and the code lists into the data (needed for class
        targets through subclasses and for the code-list shape).
    inference
        pyshacl inference: ``"none"`` (default, see module docs) or ``"rdfs"``.
    check_wkt
        Also parse every ``geo:asWKT`` literal with shapely.

    Examples
    --------
    >>> ttl = '''@prefix eol: <https://w3id.org/eolink/ontology#> .
    ... @prefix geo: <http://www.opengis.net/ont/geosparql#> .
    ... <https://w3id.org/eolink/resource/feature/p/1> a geo:Feature, eol:CropField .'''
    >>> result = validate(ttl)
    >>> result.conforms
    False
    >>> any("hasDefaultGeometry" in m for m in result.messages)
    True
    """
    import pyshacl  # heavy import, only when validating

    started = time.perf_counter()
    graph = _working_graph(data, format)
    triples = len(graph)
    if ontology:
        graph += ontology_graph()
    names = Graph()
    for prefix, ns in (("eol", "https://w3id.org/eolink/ontology#"), ("geo", GEO), ("sh", str(_SH)),
                       ("res", "https://w3id.org/eolink/resource/"), ("cl", "https://w3id.org/eolink/codelist/"),
                       ("dct", "http://purl.org/dc/terms/"), ("dcat", "http://www.w3.org/ns/dcat#"),
                       ("prov", "http://www.w3.org/ns/prov#"), ("skos", "http://www.w3.org/2004/02/skos/core#"),
                       ("sosa", "http://www.w3.org/ns/sosa/"), ("rdf", str(RDF))):
        names.bind(prefix, ns, override=True)
    conforms, results, report = pyshacl.validate(
        graph,
        shacl_graph=shapes_graph(shapes),
        inference=inference,
        inplace=True,
        allow_warnings=True,
        abort_on_first=False,
    )
    violations, lines = _messages(results, _SH.Violation, names)
    warnings, _ = _messages(results, _SH.Warning, names)
    extra: dict[str, object] = {}
    if check_wkt:
        wkt_bad = _wkt_violations(graph)
        if wkt_bad:
            extra["unparseable_wkt"] = len(wkt_bad)
            violations += len(wkt_bad)
            lines = sorted(lines + wkt_bad[:_MAX_MESSAGES])
            report += "\nWKT parse errors:\n" + "\n".join(wkt_bad)
    lines = lines[:_MAX_MESSAGES]
    return ValidationResult(
        conforms=violations == 0,
        violations=violations,
        warnings=warnings,
        messages=tuple(lines),
        report=str(report),
        seconds=time.perf_counter() - started,
        triples=triples,
        extra=extra,
    )


def assert_valid(data: DataLike, **options: object) -> ValidationResult:
    """Like :func:`validate`, but raise :class:`~eolink.errors.ValidationError` when the data does not conform.

    >>> assert_valid("").conforms
    True
    """
    result = validate(data, **options)  # type: ignore[arg-type]
    if not result.conforms:
        raise ValidationError(result.summary(), report=result.report)
    return result
