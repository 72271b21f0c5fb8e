"""Source descriptions: what a source holds, built by querying it, kept as VoID + spatial extent RDF.

A :class:`SourceDescription` has the source's triple count, its predicates (triples,
distinct subjects and objects), its classes (instances), the CRS84 bounding box
and footprint (the occupied cells of a 16 × 16 grid over the box) of its geometry
literals, and the time extent of its ``xsd:dateTime``/``xsd:date`` literals. The
federator selects sources and estimates cardinalities from it.

>>> d = SourceDescription("a", triples=3, predicates={"http://ex/p": PredicateStats(3, 2, 3)})
>>> back = descriptions_from_turtle(descriptions_to_turtle([d]))["a"]
>>> back.predicates["http://ex/p"].distinct_subjects
2
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyoxigraph as ox
import shapely

from eolink.errors import EolinkError, FederationError, InputError
from eolink.ontology import EOL, GEO
from eolink.sparql.federation.sources import Source

__all__ = [
    "PredicateStats",
    "SourceDescription",
    "describe_source",
    "descriptions_to_turtle",
    "descriptions_from_turtle",
    "save_descriptions",
    "load_descriptions",
]

VOID = "http://rdfs.org/ns/void#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_GRID = 16


@dataclass(frozen=True)
class PredicateStats:
    """Triples of one predicate, with distinct subjects and objects."""

    triples: int
    distinct_subjects: int
    distinct_objects: int


@dataclass
class SourceDescription:
    """The statistics of one source (see the module docstring)."""

    name: str
    endpoint: str | None = None
    triples: int = 0
    predicates: dict[str, PredicateStats] = field(default_factory=dict)
    classes: dict[str, int] = field(default_factory=dict)
    bbox: tuple[float, float, float, float] | None = None
    footprint: shapely.Geometry | None = None
    time_start: str | None = None
    time_end: str | None = None
    modified: str | None = None

    def may_intersect(self, geometry: shapely.Geometry) -> bool:
        """Whether any geometry of the source can intersect ``geometry`` (CRS84)."""
        if self.footprint is None:
            return False
        return bool(shapely.intersects(self.footprint, geometry))


def _int(term: object) -> int:
    return int(term.value) if isinstance(term, ox.Literal) else 0


async def describe_source(source: Source) -> SourceDescription:
    """Build the description of ``source`` with a handful of aggregate queries."""
    from eolink.sparql.geosparql import parse_wkt_array, to_crs84

    description = SourceDescription(source.name, getattr(source.config, "endpoint", None))
    predicates = await source.select(
        "SELECT ?p (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?ds) (COUNT(DISTINCT ?o) AS ?do) WHERE { ?s ?p ?o } GROUP BY ?p"
    )
    for p, n, ds, do in predicates.rows:
        if isinstance(p, ox.NamedNode):
            description.predicates[p.value] = PredicateStats(_int(n), _int(ds), _int(do))
    description.triples = sum(s.triples for s in description.predicates.values())
    classes = await source.select(f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{RDF_TYPE}> ?c }} GROUP BY ?c")
    description.classes = {c.value: _int(n) for c, n in classes.rows if isinstance(c, ox.NamedNode)}
    if GEO + "asWKT" in description.predicates:
        wkts = await source.select(f"SELECT DISTINCT ?w WHERE {{ ?x <{GEO}asWKT> ?w }}")
        lexicals = [w.value for (w,) in wkts.rows if isinstance(w, ox.Literal)]
        if lexicals:
            try:
                geometries, crss = parse_wkt_array(lexicals)
            except EolinkError as err:
                raise FederationError(f"source {source.name}: cannot parse its geometries: {err}") from err
            for crs in set(crss.tolist()):
                mask = crss == crs
                geometries[mask] = to_crs84(geometries[mask], crs)
            bounds = shapely.bounds(geometries)
            bounds = bounds[~np.isnan(bounds).any(axis=1)]
            if len(bounds):
                box = (float(bounds[:, 0].min()), float(bounds[:, 1].min()), float(bounds[:, 2].max()), float(bounds[:, 3].max()))
                description.bbox = box
                description.footprint = _footprint(bounds, box)
    times = await source.select(
        f"SELECT (MIN(?t) AS ?a) (MAX(?t) AS ?b) WHERE {{ ?s ?p ?t FILTER(datatype(?t) = <{XSD}dateTime> || datatype(?t) = <{XSD}date>) }}"
    )
    if times.rows and times.rows[0][0] is not None:
        description.time_start, description.time_end = times.rows[0][0].value, times.rows[0][1].value
    description.modified = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    return description


def _footprint(bounds: np.ndarray, box: tuple[float, float, float, float]) -> shapely.Geometry:
    """Union of the grid cells (over ``box``) touched by the envelopes ``bounds`` (vectorised per envelope)."""
    minx, miny, maxx, maxy = box
    width = max(maxx - minx, 1e-9) / _GRID
    height = max(maxy - miny, 1e-9) / _GRID
    i0 = np.clip(((bounds[:, 0] - minx) / width).astype(int), 0, _GRID - 1)
    i1 = np.clip(((bounds[:, 2] - minx) / width).astype(int), 0, _GRID - 1)
    j0 = np.clip(((bounds[:, 1] - miny) / height).astype(int), 0, _GRID - 1)
    j1 = np.clip(((bounds[:, 3] - miny) / height).astype(int), 0, _GRID - 1)
    occupied = np.zeros((_GRID, _GRID), dtype=bool)
    for a, b, c, d in zip(i0, i1, j0, j1):  # one slice assignment per envelope; grid is tiny
        occupied[a : b + 1, c : d + 1] = True
    ii, jj = np.nonzero(occupied)
    cells = shapely.box(minx + ii * width, miny + jj * height, minx + (ii + 1) * width, miny + (jj + 1) * height)
    # cells touching the box edge are widened by a hair so that boundary points stay inside
    return shapely.buffer(shapely.union_all(cells), max(width, height) * 1e-6, join_style="mitre")


def _lit(value: object, datatype: str) -> str:
    return str(ox.Literal(str(value), datatype=ox.NamedNode(datatype)))


def descriptions_to_turtle(descriptions: Iterable[SourceDescription]) -> str:
    """VoID (+ GeoSPARQL bounding box and footprint, DCAT time extent) Turtle of the descriptions."""
    lines = [
        f"@prefix void: <{VOID}> .",
        f"@prefix dct: <{DCT}> .",
        f"@prefix dcat: <{DCAT}> .",
        f"@prefix geo: <{GEO}> .",
        f"@prefix eol: <{EOL}> .",
        f"@prefix xsd: <{XSD}> .",
        "",
    ]
    for d in descriptions:
        subject = f"<urn:eolink:source:{d.name}>"
        parts = [f"{subject} a void:Dataset", f"dct:title {ox.Literal(d.name)}", f"void:triples {d.triples}"]
        if d.endpoint:
            parts.append(f"void:sparqlEndpoint <{d.endpoint}>")
        for p, s in sorted(d.predicates.items()):
            parts.append(
                f"void:propertyPartition [ void:property <{p}> ; void:triples {s.triples} ; "
                f"void:distinctSubjects {s.distinct_subjects} ; void:distinctObjects {s.distinct_objects} ]"
            )
        for c, n in sorted(d.classes.items()):
            parts.append(f"void:classPartition [ void:class <{c}> ; void:entities {n} ]")
        if d.bbox is not None:
            box = shapely.box(*d.bbox)
            parts.append(f"geo:hasBoundingBox [ a geo:Geometry ; geo:asWKT {_lit(box.wkt, GEO + 'wktLiteral')} ]")
        if d.footprint is not None:
            parts.append(f"eol:footprint [ a geo:Geometry ; geo:asWKT {_lit(shapely.to_wkt(d.footprint, rounding_precision=-1), GEO + 'wktLiteral')} ]")
        if d.time_start is not None:
            kind = "dateTime" if "T" in d.time_start else "date"
            parts.append(
                f"dct:temporal [ a dct:PeriodOfTime ; dcat:startDate {_lit(d.time_start, XSD + kind)} ; dcat:endDate {_lit(d.time_end, XSD + kind)} ]"
            )
        if d.modified:
            parts.append(f"dct:modified {_lit(d.modified, XSD + 'dateTime')}")
        lines.append(" ;\n    ".join(parts) + " .\n")
    return "\n".join(lines)


def descriptions_from_turtle(text: str | bytes) -> dict[str, SourceDescription]:
    """Inverse of :func:`descriptions_to_turtle`: name -> description."""
    store = ox.Store()
    try:
        store.load(text, format=ox.RdfFormat.TURTLE)
    except (SyntaxError, ValueError) as err:
        raise InputError(f"the source descriptions are not valid Turtle: {err}") from err

    def one(subject: object, predicate: str) -> object | None:
        return next((q.object for q in store.quads_for_pattern(subject, ox.NamedNode(predicate), None)), None)

    out: dict[str, SourceDescription] = {}
    for quad in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(VOID + "Dataset")):
        node = quad.subject
        name = str(one(node, DCT + "title").value)  # type: ignore[union-attr]
        endpoint = one(node, VOID + "sparqlEndpoint")
        d = SourceDescription(name, endpoint.value if endpoint else None, _int(one(node, VOID + "triples")))
        for part in store.quads_for_pattern(node, ox.NamedNode(VOID + "propertyPartition"), None):
            p = one(part.object, VOID + "property")
            d.predicates[p.value] = PredicateStats(
                _int(one(part.object, VOID + "triples")), _int(one(part.object, VOID + "distinctSubjects")), _int(one(part.object, VOID + "distinctObjects"))
            )
        for part in store.quads_for_pattern(node, ox.NamedNode(VOID + "classPartition"), None):
            d.classes[one(part.object, VOID + "class").value] = _int(one(part.object, VOID + "entities"))
        box = one(node, GEO + "hasBoundingBox")
        if box is not None:
            d.bbox = tuple(float(v) for v in shapely.bounds(shapely.from_wkt(one(box, GEO + "asWKT").value)))  # type: ignore[assignment]
        foot = one(node, EOL + "footprint")
        if foot is not None:
            d.footprint = shapely.from_wkt(one(foot, GEO + "asWKT").value)
        period = one(node, DCT + "temporal")
        if period is not None:
            d.time_start = one(period, DCAT + "startDate").value
            d.time_end = one(period, DCAT + "endDate").value
        modified = one(node, DCT + "modified")
        d.modified = modified.value if modified else None
        out[name] = d
    return out


def save_descriptions(path: Path, descriptions: Iterable[SourceDescription]) -> None:
    """Write the descriptions atomically (temporary file, then rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(descriptions_to_turtle(descriptions), encoding="utf-8")
    tmp.replace(path)


def load_descriptions(path: Path) -> dict[str, SourceDescription]:
    """Read saved descriptions (empty when the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return {}
    return descriptions_from_turtle(path.read_bytes())
