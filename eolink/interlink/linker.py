"""Linking products in a store: select features, discover relations, load link triples with provenance.

Each run writes one named graph ``<links>/<source>--<target>`` (replaced when the
same pair is linked again) holding the feature-level GeoSPARQL relation triples
and a PROV-O description of the run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from eolink.errors import InputError
from eolink.interlink.de9im import RELATIONS
from eolink.interlink.discovery import discover_links
from eolink.ontology import EOL, GEO, LINKS_GRAPH, PROV, RESOURCE
from eolink.sparql.geosparql.literals import parse_wkt_array, transform_geometry
from eolink.stores.base import Store

__all__ = ["FeatureSet", "LinkRun", "select_features", "link_graphs", "link_graph_iri"]


@dataclass
class FeatureSet:
    """Features selected from a store: IRIs and geometries in one CRS."""

    iris: np.ndarray
    geometries: np.ndarray
    crs: str

    def __len__(self) -> int:
        return len(self.iris)


@dataclass
class LinkRun:
    """What one linking run did."""

    graph: str
    source: str
    target: str
    source_features: int
    target_features: int
    candidates: int
    links: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        """All links of the run."""
        return sum(self.links.values())


def select_features(store: Store, graph: str, *, feature_class: str | None = None) -> FeatureSet:
    """The features of product graph ``graph`` (optionally only ``feature_class``) with their default geometries.

    Geometries in several CRSs are brought to the CRS most of them use.
    """
    class_pattern = f"?f a <{feature_class}> ." if feature_class else ""
    query = f"""
        SELECT ?f ?wkt WHERE {{ GRAPH <{graph}> {{
            ?f <{GEO}hasDefaultGeometry> ?g . ?g <{GEO}asWKT> ?wkt . {class_pattern}
        }} }} ORDER BY ?f"""
    result = store.query(query)
    if not result.rows:
        raise InputError(f"no features with geometries in <{graph}>" + (f" of class <{feature_class}>" if feature_class else ""))
    iris = np.array([row[0].value for row in result.rows], dtype=object)
    geometries, crss = parse_wkt_array([row[1].value for row in result.rows])
    values, counts = np.unique(crss, return_counts=True)
    crs = str(values[np.argmax(counts)])
    for other in values:
        if other != crs:
            mask = crss == other
            geometries[mask] = transform_geometry(geometries[mask], str(other), crs)
    return FeatureSet(iris, geometries, crs)


def link_graph_iri(source: str, target: str) -> str:
    """The named graph holding the links from product ``source`` to product ``target``."""

    def tail(iri: str) -> str:
        return iri.rsplit("/", 1)[-1]

    return f"{LINKS_GRAPH}/{tail(source)}--{tail(target)}"


def _nt_iri(iri: str) -> str:
    return f"<{iri}>"


def link_graphs(
    store: Store,
    source: str,
    target: str,
    *,
    relations: Iterable[str] = RELATIONS,
    source_class: str | None = None,
    target_class: str | None = None,
) -> LinkRun:
    """Discover relations between the features of two product graphs and load them into the store."""
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    wanted = list(relations)
    left = select_features(store, source, feature_class=source_class)
    right = select_features(store, target, feature_class=target_class)
    right_geoms = right.geometries if right.crs == left.crs else transform_geometry(right.geometries, right.crs, left.crs)
    links = discover_links(left.geometries, right_geoms, relations=wanted)
    graph = link_graph_iri(source, target)
    lines = (
        "<" + left.iris[links.source].astype(str) + "> <" + GEO + links.relation.astype(object) + "> <"
        + right.iris[links.target].astype(str) + "> .\n"
    )
    counts = {name: links.count(name) for name in wanted}
    activity = f"{RESOURCE}activity/link/{graph.rsplit('/', 1)[-1]}"
    seconds = time.perf_counter() - clock
    prov = [
        f"{_nt_iri(graph)} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> {_nt_iri(EOL + 'LinkSet')} .",
        f"{_nt_iri(graph)} {_nt_iri(PROV + 'wasGeneratedBy')} {_nt_iri(activity)} .",
        f"{_nt_iri(activity)} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> {_nt_iri(PROV + 'Activity')} .",
        f"{_nt_iri(activity)} {_nt_iri(PROV + 'used')} {_nt_iri(source)} .",
        f"{_nt_iri(activity)} {_nt_iri(PROV + 'used')} {_nt_iri(target)} .",
        f'{_nt_iri(activity)} {_nt_iri(PROV + "startedAtTime")} "{started.strftime("%Y-%m-%dT%H:%M:%SZ")}"^^<http://www.w3.org/2001/XMLSchema#dateTime> .',
        f'{_nt_iri(activity)} {_nt_iri(EOL + "algorithm")} "STRtree filter + DE-9IM verification" .',
        f'{_nt_iri(activity)} {_nt_iri(EOL + "candidatePairs")} "{links.candidates}"^^<http://www.w3.org/2001/XMLSchema#integer> .',
    ]
    for name, n in counts.items():
        prov.append(f"{_nt_iri(activity)} {_nt_iri(EOL + 'relation')} {_nt_iri(GEO + name)} .")
        prov.append(f'{_nt_iri(graph)} {_nt_iri(EOL + name + "Count")} "{n}"^^<http://www.w3.org/2001/XMLSchema#integer> .')
    payload = "".join(lines.tolist()) + "\n".join(prov) + "\n"
    store.load(graph, payload, fmt="nt", replace=True)
    return LinkRun(graph, source, target, len(left), len(right), links.candidates, counts, seconds)
