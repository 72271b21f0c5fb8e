"""Link runs against a store: select two feature sets, discover relations, load the links with provenance.

Each run writes one named graph (``<links>/<source>--<target>`` by default, replaced
when the same pair is linked again) holding only standard GeoSPARQL relation
triples (``geo:sfIntersects`` … ``geo:ehCoveredBy``) between feature IRIs, and a
PROV-O description of the run: the link set (``void:Linkset``, ``prov:Entity``)
``prov:wasGeneratedBy`` an activity that ``prov:used`` the sources, with
``prov:startedAtTime``/``prov:endedAtTime``, ``prov:wasAssociatedWith`` eolink, the
algorithm, its parameters and the counts. The graph is loaded in one transaction:
the links are queryable as soon as :func:`link` returns, and a failed run leaves
the store as it was.

>>> from eolink.stores import open_store
>>> store = open_store(None)
>>> geo = "http://www.opengis.net/ont/geosparql#"
>>> def feature(iri, wkt):
...     return f'<{iri}> <{geo}hasDefaultGeometry> <{iri}/g> .\\n<{iri}/g> <{geo}asWKT> "{wkt}"^^<{geo}wktLiteral> .\\n'
>>> _ = store.load("http://ex.org/A", feature("http://ex.org/a", "POLYGON ((0 0, 2 0, 2 2, 0 2, 0 0))"))
>>> _ = store.load("http://ex.org/B", feature("http://ex.org/b", "POINT (1 1)"))
>>> run = link(store, "graph:http://ex.org/A", "graph:http://ex.org/B", relations=["sfContains"])
>>> run.links, run.graph
({'sfContains': 1}, 'https://w3id.org/eolink/resource/graph/links/A--B')
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from eolink import __version__
from eolink.errors import InputError
from eolink.interlink.de9im import RELATIONS
from eolink.interlink.discovery import LinkSet, check_relations, discover_links
from eolink.interlink.progressive import CurvePoint, progressive_links, recall_curve
from eolink.interlink.sources import FeatureSet, Selector, load_feature_set, store_times
from eolink.interlink.temporal import require_times, within_days_filter
from eolink.ontology import EOL, GEO, LINKS_GRAPH, OWL, PROV, RDF, RDFS, RESOURCE, XSD
from eolink.stores.base import Store

__all__ = [
    "FeatureSet",
    "LinkRun",
    "link",
    "link_graphs",
    "link_graph_iri",
    "select_features",
    "provenance_triples",
    "MatchRun",
    "link_same_as",
    "read_truth",
    "VOID",
    "AGENT",
]

VOID = "http://rdfs.org/ns/void#"
#: The software agent link runs are associated with.
AGENT = f"{RESOURCE}agent/eolink"


@dataclass
class LinkRun:
    """What one linking run did; ``table`` holds the links (source IRI, relation, target IRI)."""

    graph: str
    source: str
    target: str
    source_features: int
    target_features: int
    candidates: int
    links: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    verified: int = 0
    started: str = ""
    ended: str = ""
    algorithm: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    curve: list[CurvePoint] | None = None
    table: pd.DataFrame | None = None

    @property
    def total(self) -> int:
        """All links of the run."""
        return sum(self.links.values())


def select_features(store: Store, graph: str, *, feature_class: str | None = None, invalid: str = "raise") -> FeatureSet:
    """The features of product graph ``graph`` (optionally only ``feature_class``) with their default geometries."""
    if feature_class is None:
        return load_feature_set(Selector("graph", graph), store, invalid=invalid)
    query = f"""SELECT ?feature ?wkt WHERE {{ GRAPH <{graph}> {{ ?feature a <{feature_class}> ;
        <{GEO}hasDefaultGeometry>/<{GEO}asWKT> ?wkt }} }}"""
    fs = load_feature_set(Selector("query", query), store, invalid=invalid)
    fs.used = [graph]
    return fs


def link_graph_iri(source: str, target: str, *, kind: str | None = None) -> str:
    """The named graph of the links from ``source`` to ``target`` (IRIs or short labels).

    >>> link_graph_iri("https://w3id.org/eolink/resource/product/a", "https://w3id.org/eolink/resource/product/b")
    'https://w3id.org/eolink/resource/graph/links/a--b'
    >>> link_graph_iri("a", "b", kind="sameAs")
    'https://w3id.org/eolink/resource/graph/links/sameAs/a--b'
    """

    def tail(iri: str) -> str:
        return iri.rstrip("/").rsplit("/", 1)[-1]

    middle = f"/{kind}" if kind else ""
    return f"{LINKS_GRAPH}{middle}/{tail(source)}--{tail(target)}"


def _iri(value: str) -> str:
    return f"<{value}>"


def _lit(value: object, datatype: str | None = None) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{text}"' + (f"^^<{datatype}>" if datatype else "")


def _describe_side(activity: str, fs: FeatureSet, role: str) -> list[tuple[str, str, str]]:
    out = [(activity, PROV + "used", _iri(iri)) for iri in fs.used]
    sel = fs.selector
    if sel is not None:
        # the selector as given: graph:IRI, class:IRI, query:SPARQL text, file:path
        out.append((activity, f"{EOL}{role}Selector", _lit(f"{sel.kind}:{sel.value}")))
    out.append((activity, f"{EOL}{role}Features", _lit(len(fs), XSD + "integer")))
    if fs.repaired:
        out.append((activity, f"{EOL}{role}GeometriesRepaired", _lit(fs.repaired, XSD + "integer")))
    if fs.skipped:
        out.append((activity, f"{EOL}{role}GeometriesSkipped", _lit(fs.skipped, XSD + "integer")))
    return out


def provenance_triples(
    graph: str,
    source: FeatureSet,
    target: FeatureSet,
    *,
    started: datetime,
    ended: datetime,
    algorithm: str,
    parameters: dict[str, Any],
    counts: dict[str, int],
    predicates: Iterable[str],
) -> str:
    """N-Triples describing one link run with PROV-O and VoID (see the module docstring).

    >>> import numpy as np
    >>> from eolink.interlink.sources import FeatureSet
    >>> fs = FeatureSet(np.array(["urn:a"], dtype=object), np.array([None]), "crs", used=["urn:g"])
    >>> now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    >>> "prov#endedAtTime" in provenance_triples("urn:links", fs, fs, started=now, ended=now, algorithm="x",
    ...     parameters={}, counts={"links": 0}, predicates=[])
    True
    """
    stamp = started.strftime("%Y%m%dT%H%M%S%fZ")
    activity = f"{RESOURCE}activity/link/{graph.rsplit('/', 1)[-1]}/{stamp}"
    g, a = _iri(graph), _iri(activity)
    dt = XSD + "dateTime"
    triples: list[tuple[str, str, str]] = [
        (g, RDF + "type", _iri(VOID + "Linkset")),
        (g, RDF + "type", _iri(PROV + "Entity")),
        (g, RDF + "type", _iri(EOL + "LinkSet")),
        (g, PROV + "wasGeneratedBy", a),
        (g, PROV + "generatedAtTime", _lit(ended.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), dt)),
        (a, RDF + "type", _iri(PROV + "Activity")),
        (a, PROV + "startedAtTime", _lit(started.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), dt)),
        (a, PROV + "endedAtTime", _lit(ended.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), dt)),
        (a, PROV + "wasAssociatedWith", _iri(AGENT)),
        (a, EOL + "algorithm", _lit(algorithm)),
        (_iri(AGENT), RDF + "type", _iri(PROV + "SoftwareAgent")),
        (_iri(AGENT), RDFS + "label", _lit(f"eolink {__version__}")),
    ]
    for iri in {*source.used, *target.used}:
        triples.append((g, PROV + "wasDerivedFrom", _iri(iri)))
    triples += _describe_side(a, source, "source")
    triples += _describe_side(a, target, "target")
    for key, value in parameters.items():
        if value is None:
            continue
        if isinstance(value, bool):
            obj = _lit(str(value).lower(), XSD + "boolean")
        elif isinstance(value, int):
            obj = _lit(value, XSD + "integer")
        elif isinstance(value, float):
            obj = _lit(repr(value), XSD + "double")
        elif isinstance(value, (list, tuple)):
            triples += [(a, EOL + key, _iri(v) if str(v).startswith(("http://", "https://")) else _lit(v)) for v in value]
            continue
        else:
            obj = _lit(value)
        triples.append((a, EOL + key, obj))
    for predicate in predicates:
        triples.append((g, VOID + "linkPredicate", _iri(predicate)))
    for key, n in counts.items():
        triples.append((g, EOL + key, _lit(n, XSD + "integer")))
    return "".join(f"{s} <{p}> {o} .\n" if not p.startswith("<") else f"{s} {p} {o} .\n" for s, p, o in triples)


def _link_lines(source: FeatureSet, target: FeatureSet, links: LinkSet, namespace: str) -> str:
    if len(links) == 0:
        return ""
    lines = (
        "<" + source.iris[links.source].astype(str) + "> <" + namespace + links.relation.astype(str) + "> <"
        + target.iris[links.target].astype(str) + "> .\n"
    )
    return "".join(lines.tolist())


def link(
    store: Store | None,
    source: str | Selector | FeatureSet,
    target: str | Selector | FeatureSet,
    *,
    relations: Iterable[str] = RELATIONS,
    progressive: float | int | None = None,
    weighting: str = "cd",
    dask: str | Any | None = None,
    within_days: float | None = None,
    index: str = "auto",
    invalid: str = "raise",
    graph: str | None = None,
    load: bool = True,
    curve: bool = False,
) -> LinkRun:
    """Link two feature sets with GeoSPARQL relations and load the links into ``store``.

    Parameters
    ----------
    store
        Where selections are read from and links loaded (``None``: files only, nothing loaded).
    source, target
        Selectors (``graph:IRI``, ``class:IRI``, ``query:@file.rq``, a file path) or feature sets.
        The target is reprojected to the source's CRS when they differ.
    relations
        Local names of :data:`~eolink.interlink.de9im.RELATIONS` (default: all).
    progressive
        Verification budget: a number of comparisons, or a fraction in (0, 1] of them; the
        best-weighted candidates (``weighting``) are verified first.
    dask
        A Dask scheduler address, ``"local"`` (a LocalCluster for the run) or a ``distributed.Client``.
    within_days
        Time-aware linking: only pairs whose times are at most this many days apart.
    index
        ``"auto"``/``"strtree"``/``"grid"`` for the exhaustive filter.
    invalid
        ``"raise"`` (default), ``"repair"`` or ``"skip"`` invalid geometries.
    graph
        The link graph's IRI (default :func:`link_graph_iri` of the two selections).
    load
        Load the links (``False``: only compute them; ``run.table`` holds them).
    curve
        With ``progressive``, also compute the recall curve against the exhaustive result.

    Returns
    -------
    LinkRun
    """
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    wanted = check_relations(relations)
    if progressive is not None and dask is not None:
        raise InputError("progressive linking runs on one process; drop --dask or --progressive")
    timed = within_days is not None
    left = load_feature_set(source, store, invalid=invalid, with_times=timed)
    right = load_feature_set(target, store, invalid=invalid, with_times=timed)
    if timed and store is not None:
        for fs in (left, right):
            if fs.times is None and fs.selector is not None and fs.selector.kind != "file":
                fs.times = store_times(store, fs.iris)
    if right.crs != left.crs:
        right = right.to_crs(left.crs)
    pair_filter = None
    if timed:
        pair_filter = within_days_filter(require_times(left.times, left.label), require_times(right.times, right.label),
                                         float(within_days))  # type: ignore[arg-type]
    points: list[CurvePoint] | None = None
    if progressive is not None:
        links = progressive_links(left.geometries, right.geometries, budget=progressive, relations=wanted,
                                  weighting=weighting, pair_filter=pair_filter)
        algorithm = (f"progressive GIA.nt: equigrid candidates whose MBRs intersect, ranked by {weighting} weight, "
                     "verified within a budget")
        if curve:
            points = recall_curve(left.geometries, right.geometries, relations=wanted, weighting=weighting,
                                  pair_filter=pair_filter)
    elif dask is not None:
        links = _dask_links(left, right, wanted, dask, index=index)
        if pair_filter is not None and len(links):
            keep = pair_filter(links.source, links.target)
            links = LinkSet(links.source[keep], links.target[keep], links.relation[keep],
                            candidates=links.candidates, verified=links.verified)
        algorithm = "GIA.nt on Dask: space tiles with the reference-point rule; STRtree filter + DE-9IM verification"
    else:
        links = discover_links(left.geometries, right.geometries, relations=wanted, index=index, pair_filter=pair_filter)
        algorithm = f"GIA.nt: {'STRtree' if index != 'grid' else 'equigrid'} filter on the smaller side, " \
                    "larger side streamed; one DE-9IM matrix per candidate, or intersects + touches for polygon/line pairs " \
                    "whose MBRs are not nested"
    counts = {name: links.count(name) for name in wanted}
    name = graph or link_graph_iri(left.label, right.label)
    parameters: dict[str, Any] = {
        "relation": [GEO + r for r in wanted],
        "budget": progressive,
        "weighting": weighting if progressive is not None else None,
        "withinDays": None if within_days is None else float(within_days),
        "indexMethod": index if progressive is None else "grid",
        "dask": None if dask is None else (dask if isinstance(dask, str) else "client"),
        "invalidGeometries": invalid,
        "crs": left.crs,
    }
    table = pd.DataFrame({
        "source": left.iris[links.source], "relation": links.relation.astype(str), "target": right.iris[links.target],
    })
    ended = datetime.now(timezone.utc)
    run = LinkRun(name, left.label, right.label, len(left), len(right), links.candidates, counts,
                  time.perf_counter() - clock, verified=links.verified, started=started.isoformat(),
                  ended=ended.isoformat(), algorithm=algorithm,
                  parameters={k: v for k, v in parameters.items() if v is not None}, curve=points, table=table)
    if load and store is not None:
        stats = {"candidatePairs": links.candidates, "verifiedPairs": links.verified, "linkCount": len(links)}
        stats.update({f"{r}Count": n for r, n in counts.items()})
        prov = provenance_triples(name, left, right, started=started, ended=ended, algorithm=algorithm,
                                  parameters=run.parameters, counts=stats, predicates=[GEO + r for r in wanted])
        store.load(name, _link_lines(left, right, links, GEO) + prov, fmt="nt", replace=True, count=False)
    return run


def _dask_links(left: FeatureSet, right: FeatureSet, wanted: list[str], dask: Any, *, index: str) -> LinkSet:
    from eolink.interlink.distributed import dask_client, discover_links_dask

    if isinstance(dask, str):
        with dask_client(dask) as client:
            return discover_links_dask(left.geometries, right.geometries, client=client, relations=wanted, index=index)
    return discover_links_dask(left.geometries, right.geometries, client=dask, relations=wanted, index=index)


def link_graphs(
    store: Store,
    source: str,
    target: str,
    *,
    relations: Iterable[str] = RELATIONS,
    source_class: str | None = None,
    target_class: str | None = None,
    invalid: str = "repair",
    **options: Any,
) -> LinkRun:
    """Link the features of two product graphs (the demo's call); links go to :func:`link_graph_iri` of the products.

    Product graphs are linked as ingested: real OSM polygons can be self-intersecting, so
    invalid geometries are repaired (``make_valid``) by default and the count is recorded.
    """
    left = select_features(store, source, feature_class=source_class, invalid=invalid)
    right = select_features(store, target, feature_class=target_class, invalid=invalid)
    run = link(store, left, right, relations=relations, invalid=invalid, graph=link_graph_iri(source, target), **options)
    run.source, run.target = source, target
    return run


@dataclass
class MatchRun:
    """What one entity-matching run did; ``evaluation`` when a ground truth was given."""

    graph: str
    source: str
    target: str
    source_features: int
    target_features: int
    blocked: int
    candidates: int
    matches: int
    seconds: float = 0.0
    evaluation: Any = None
    table: pd.DataFrame | None = None


def read_truth(path: str | Any) -> set[tuple[str, str]]:
    """Ground-truth pairs from a CSV/TSV file of two IRI columns (a header row is skipped if not IRIs).

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "truth.csv"
    >>> _ = path.write_text("source,target\\nurn:a:1,urn:b:7\\n")
    >>> read_truth(path)
    {('urn:a:1', 'urn:b:7')}
    """
    from pathlib import Path

    file = Path(path)
    try:
        frame = pd.read_csv(file, sep=None, engine="python", header=None, dtype=str)
    except (OSError, ValueError) as err:
        raise InputError(f"{file.name}: cannot read the ground truth: {err}") from err
    if frame.shape[1] < 2:
        raise InputError(f"{file.name}: the ground truth needs two columns (source IRI, target IRI)")
    if len(frame) and not str(frame.iloc[0, 0]).startswith(("http", "urn:")):
        frame = frame.iloc[1:]
    return set(zip(frame.iloc[:, 0].str.strip(), frame.iloc[:, 1].str.strip()))


def link_same_as(
    store: Store | None,
    source: str | Selector | FeatureSet,
    target: str | Selector | FeatureSet,
    *,
    threshold: float = 0.5,
    model: Any = None,
    max_distance_m: float | None = 500.0,
    truth: Iterable[tuple[str, str]] | None = None,
    invalid: str = "raise",
    graph: str | None = None,
    load: bool = True,
    **blocking: Any,
) -> MatchRun:
    """``owl:sameAs`` links between features of two sources denoting the same object (:mod:`~eolink.interlink.matching`).

    The links go to ``<links>/sameAs/<source>--<target>`` with the run's PROV-O description;
    with ``truth`` (IRI pairs) the run also reports precision, recall and F1.
    """
    from eolink.interlink.matching import evaluate, match_features

    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    left = load_feature_set(source, store, invalid=invalid, with_values=True)
    right = load_feature_set(target, store, invalid=invalid, with_values=True)
    if store is not None:
        for fs in (left, right):
            if fs.values is None:
                from eolink.interlink.sources import store_values

                fs.values = store_values(store, fs.iris)
    if right.crs != left.crs:
        right = right.to_crs(left.crs)
    found = match_features(left, right, threshold=threshold, model=model, max_distance_m=max_distance_m, **blocking)
    table = pd.DataFrame({"source": left.iris[found.i], "target": right.iris[found.j], "score": found.score})
    evaluation = evaluate(zip(table["source"], table["target"]), truth) if truth is not None else None
    name = graph or link_graph_iri(left.label, right.label, kind="sameAs")
    ended = datetime.now(timezone.utc)
    run = MatchRun(name, left.label, right.label, len(left), len(right), found.blocked, found.candidates, len(found),
                   time.perf_counter() - clock, evaluation, table)
    if load and store is not None:
        algorithm = ("JedAI-style entity matching: schema-agnostic token blocking + spatial cells, meta-blocking "
                     "(ARCS weights, weighted edge pruning), rapidfuzz name similarity + token Jaccard + proximity, "
                     + ("logistic regression" if model is not None else "weighted score") + ", unique mapping")
        parameters = {"threshold": float(threshold), "maxDistanceM": None if max_distance_m is None else float(max_distance_m),
                      "invalidGeometries": invalid, **{k: v for k, v in blocking.items() if isinstance(v, (int, float, str))}}
        stats = {"blockedPairs": found.blocked, "candidatePairs": found.candidates, "linkCount": len(found)}
        if evaluation is not None:
            parameters.update({"precision": evaluation.precision, "recall": evaluation.recall, "f1": evaluation.f1})
        prov = provenance_triples(name, left, right, started=started, ended=ended, algorithm=algorithm,
                                  parameters=parameters, counts=stats, predicates=[OWL + "sameAs"])
        lines = "".join(f"<{a}> <{OWL}sameAs> <{b}> .\n" for a, b in zip(table["source"], table["target"]))
        store.load(name, lines + prov, fmt="nt", replace=True, count=False)
    return run
