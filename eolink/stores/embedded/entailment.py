"""Optional RDFS entailment (rdfs2, rdfs3, rdfs7, rdfs9) materialised into one graph.

With ``rdfs=True`` the store keeps :data:`ENTAILMENT_GRAPH` equal to the triples
RDFS derives from the union of all graphs plus the GeoSPARQL/SF/GML hierarchy
(``eolink/ontology/geosparql-rdfs.ttl``, held in :data:`HIERARCHY_GRAPH`): sub-property
closure, domain and range types, then sub-class closure. It is recomputed after
every write, so a dropped product's entailments disappear with it.

>>> import pyoxigraph as ox
>>> store = ox.Store()
>>> store.add(ox.Quad(ox.NamedNode("http://e/f"), ox.NamedNode("http://www.opengis.net/ont/geosparql#hasDefaultGeometry"),
...                   ox.NamedNode("http://e/g"), ox.NamedNode("http://e/data")))
>>> refresh(store) > 0
True
>>> bool(store.query("ASK { ?f <http://www.opengis.net/ont/geosparql#hasGeometry> ?g ; a <http://www.opengis.net/ont/geosparql#SpatialObject> }",
...                  use_default_graph_as_union=True))
True
"""

from __future__ import annotations

import pyoxigraph as ox

from eolink.ontology import ONTOLOGY_DIR, RESOURCE

__all__ = ["ENTAILMENT_GRAPH", "HIERARCHY_GRAPH", "refresh"]

ENTAILMENT_GRAPH = RESOURCE + "graph/entailment"
HIERARCHY_GRAPH = RESOURCE + "graph/geosparql-hierarchy"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

# Each step only adds triples not already present, because the union default graph of
# pyoxigraph is a bag: a triple in two graphs would be seen twice.
_STEPS = (
    f"CONSTRUCT {{ ?s ?q ?o }} WHERE {{ ?p <{_RDFS}subPropertyOf>+ ?q . ?s ?p ?o FILTER(?q != ?p) FILTER NOT EXISTS {{ ?s ?q ?o }} }}",
    f"CONSTRUCT {{ ?s <{_TYPE}> ?c }} WHERE {{ ?p <{_RDFS}domain> ?c . ?s ?p ?o FILTER NOT EXISTS {{ ?s <{_TYPE}> ?c }} }}",
    f"CONSTRUCT {{ ?o <{_TYPE}> ?c }} WHERE {{ ?p <{_RDFS}range> ?c . ?s ?p ?o FILTER(!isLiteral(?o)) FILTER NOT EXISTS {{ ?o <{_TYPE}> ?c }} }}",
    f"CONSTRUCT {{ ?s <{_TYPE}> ?d }} WHERE {{ ?s <{_TYPE}> ?c . ?c <{_RDFS}subClassOf>+ ?d FILTER(?c != ?d) FILTER NOT EXISTS {{ ?s <{_TYPE}> ?d }} }}",
)


def refresh(store: ox.Store) -> int:
    """Recompute the entailment graph of a pyoxigraph store; return its size."""
    entailed = ox.NamedNode(ENTAILMENT_GRAPH)
    hierarchy = ox.NamedNode(HIERARCHY_GRAPH)
    if not store.contains_named_graph(hierarchy):
        store.load(path=str(ONTOLOGY_DIR / "geosparql-rdfs.ttl"), format=ox.RdfFormat.TURTLE, to_graph=hierarchy)
    store.remove_graph(entailed)
    for step in _STEPS:
        triples = set(store.query(step, use_default_graph_as_union=True))  # CONSTRUCT may repeat a triple
        store.extend(ox.Quad(t.subject, t.predicate, t.object, entailed) for t in triples)
    return sum(1 for _ in store.quads_for_pattern(None, None, None, entailed))
