"""Result formats parsed back, GeoJSON, VoID, Graph Store protocol, resources, SERVICE refusal — against `eolink serve`."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import httpx
import pytest
import rdflib
import shapely
from rdflib.compare import isomorphic

from eolink.sparql.results import term_from_json
from eolink.stores import open_store
from tests.app.conftest import DATA, GRAPH
from tests.listener import Recorder

Q = "SELECT ?s ?name ?v ?w WHERE { ?s <http://example.org/name> ?name OPTIONAL { ?s <http://example.org/value> ?v } OPTIONAL { ?s <http://www.opengis.net/ont/geosparql#hasGeometry>/<http://www.opengis.net/ont/geosparql#asWKT> ?w } }"


@pytest.fixture(scope="module")
def reference():
    store = open_store(None)
    store.load(GRAPH, DATA, fmt="ttl")
    return store


def _expected(reference) -> Counter:
    result = reference.query(Q)
    return Counter(tuple(None if t is None else str(t) for t in row) for row in result.rows)


def _lexical(reference) -> Counter:
    result = reference.query(Q)
    return Counter(tuple("" if t is None else t.value for t in row) for row in result.rows)


def test_json_and_xml_parse_back_equal(server, reference):
    body = httpx.get(server.sparql, params={"query": Q}, headers={"accept": "application/sparql-results+json"}).json()
    got = Counter(tuple(None if v not in b else str(term_from_json(b[v])) for v in body["head"]["vars"]) for b in body["results"]["bindings"])
    assert got == _expected(reference)
    xml = httpx.get(server.sparql, params={"query": Q}, headers={"accept": "application/sparql-results+xml"}).content
    parsed = rdflib.query.Result.parse(io.BytesIO(xml), format="xml")
    got = Counter(tuple(None if t is None else t.n3() for t in row) for row in parsed)
    assert got == _expected(reference)


def test_csv_and_tsv_parse_back_equal(server, reference):
    text = httpx.get(server.sparql, params={"query": Q, "format": "csv"}).text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["s", "name", "v", "w"]
    assert Counter(tuple(r) for r in rows[1:]) == _lexical(reference)
    tsv = httpx.get(server.sparql, params={"query": Q}, headers={"accept": "text/tab-separated-values"}).text.splitlines()
    assert tsv[0].split("\t") == ["?s", "?name", "?v", "?w"]
    assert Counter(tuple(line.split("\t")) for line in tsv[1:]) == _expected_tsv(reference)


def _expected_tsv(reference) -> Counter:
    return Counter(tuple("" if t is None else str(t) for t in row) for row in reference.query(Q).rows)


@pytest.mark.parametrize(("accept", "fmt"), [("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")])
def test_construct_formats_parse_back_isomorphic(server, reference, accept, fmt):
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    body = httpx.get(server.sparql, params={"query": construct}, headers={"accept": accept}).content
    got = rdflib.Graph().parse(data=body, format=fmt)
    expected = rdflib.Graph().parse(data=DATA, format="turtle")
    assert isomorphic(got, expected)


def test_geojson_results(server):
    q = "SELECT ?s ?w WHERE { ?s <http://www.opengis.net/ont/geosparql#hasGeometry>/<http://www.opengis.net/ont/geosparql#asWKT> ?w }"
    for kwargs in ({"params": {"query": q, "format": "geojson"}}, {"params": {"query": q}, "headers": {"accept": "application/geo+json"}}):
        r = httpx.get(server.sparql, **kwargs)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
        collection = r.json()
        assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 1
        feature = collection["features"][0]
        assert shapely.geometry.shape(feature["geometry"]).equals(shapely.Point(24.94, 60.17))
        assert feature["properties"] == {"s": "http://example.org/a"}


def test_service_description_links_void_and_negotiates(server):
    r = httpx.get(server.sparql, headers={"accept": "application/n-triples"})
    graph = rdflib.Graph().parse(data=r.content, format="nt")
    see_also = list(graph.objects(None, rdflib.RDFS.seeAlso))
    assert see_also == [rdflib.URIRef(server.url + "/void")]


def test_void_counts_match_the_data(server):
    r = httpx.get(server.url + "/void")
    assert r.status_code == 200
    void = rdflib.Graph().parse(data=r.text, format="turtle")
    data = rdflib.Graph().parse(data=DATA, format="turtle")
    VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
    counts = {str(void.value(part, VOID.property)): int(void.value(part, VOID.triples)) for part in void.objects(None, VOID.propertyPartition)}
    assert counts == dict(Counter(str(p) for _, p, _ in data))
    bbox = next(void.objects(None, rdflib.URIRef("http://www.opengis.net/ont/geosparql#hasBoundingBox")))
    wkt = str(void.value(bbox, rdflib.URIRef("http://www.opengis.net/ont/geosparql#asWKT")))
    assert shapely.from_wkt(wkt).contains(shapely.Point(24.94, 60.17)) or shapely.from_wkt(wkt).touches(shapely.Point(24.94, 60.17))


RES = "https://w3id.org/eolink/resource/test/field-1"
RES_TTL = f"""@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{RES}> a geo:Feature ; rdfs:label "Field <1> & co" ; geo:hasGeometry <{RES}/geom> .
<{RES}/geom> geo:asWKT "POLYGON ((24 60, 24.1 60, 24.1 60.1, 24 60.1, 24 60))"^^geo:wktLiteral .
"""


def test_graph_store_protocol(server):
    target = server.url + "/rdf-graphs/service"
    graph = "https://w3id.org/eolink/resource/graph/gsp-test"
    auth = {"authorization": f"Bearer {server.token}"}
    r = httpx.put(target, params={"graph": graph}, content=RES_TTL, headers={"content-type": "text/turtle"})
    assert r.status_code == 403 and r.json()["status"] == 403
    r = httpx.put(target, params={"graph": graph}, content=RES_TTL, headers={"content-type": "text/turtle", **auth})
    assert r.status_code == 201
    got = httpx.get(target, params={"graph": graph}, headers={"accept": "application/n-triples"})
    assert isomorphic(rdflib.Graph().parse(data=got.content, format="nt"), rdflib.Graph().parse(data=RES_TTL, format="turtle"))
    # a failed PUT (malformed Turtle) leaves the graph as it was
    r = httpx.put(target, params={"graph": graph}, content="<broken", headers={"content-type": "text/turtle", **auth})
    assert r.status_code == 400
    again = httpx.get(target, params={"graph": graph}, headers={"accept": "text/turtle"})
    assert isomorphic(rdflib.Graph().parse(data=again.content, format="turtle"), rdflib.Graph().parse(data=RES_TTL, format="turtle"))
    extra = f'<{RES}> <http://example.org/note> "added" .'
    assert httpx.post(target, params={"graph": graph}, content=extra, headers={"content-type": "application/n-triples", **auth}).status_code == 204
    ask = httpx.get(server.sparql, params={"query": 'ASK { ?s <http://example.org/note> "added" }'}).json()
    assert ask["boolean"] is True  # query workers see the write
    assert httpx.head(target, params={"graph": graph}).status_code == 200
    assert httpx.delete(target, params={"graph": graph}).status_code == 403
    assert httpx.delete(target, params={"graph": graph}, headers=auth).status_code == 204
    assert httpx.get(target, params={"graph": graph}).status_code == 404
    assert httpx.get(server.sparql, params={"query": 'ASK { ?s <http://example.org/note> "added" }'}).json()["boolean"] is False


def test_resource_pages(server):
    graph = "https://w3id.org/eolink/resource/graph/resource-test"
    auth = {"authorization": f"Bearer {server.token}"}
    assert httpx.put(server.url + "/rdf-graphs/service", params={"graph": graph}, content=RES_TTL, headers={"content-type": "text/turtle", **auth}).status_code in (201, 204)
    path = "/resource/test/field-1"
    page = httpx.get(server.url + path, headers={"accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Field &lt;1&gt; &amp; co" in page.text and "maplibre-gl.js" in page.text
    assert 'href="/resource/test/field-1/geom"' in page.text
    embedded = page.text.split('type="application/geo+json">', 1)[1].split("</script>", 1)[0]
    geometry = shapely.geometry.shape(json.loads(embedded)["features"][0]["geometry"])
    assert geometry.equals(shapely.box(24, 60, 24.1, 60.1))
    expected = rdflib.Graph().parse(data=RES_TTL, format="turtle")
    expected.remove((rdflib.URIRef(RES + "/geom"), None, None))
    turtle = httpx.get(server.url + path, headers={"accept": "text/turtle"})
    assert isomorphic(rdflib.Graph().parse(data=turtle.content, format="turtle"), expected)
    jsonld = httpx.get(server.url + path, headers={"accept": "application/ld+json"})
    assert isomorphic(rdflib.Graph().parse(data=jsonld.content, format="json-ld"), expected)
    assert httpx.get(server.url + "/resource/test/nothing-here").status_code == 404
    httpx.delete(server.url + "/rdf-graphs/service", params={"graph": graph}, headers=auth)


def test_ontology_dereferences(server):
    from eolink.ontology import EOL

    turtle = httpx.get(server.url + "/ontology", headers={"accept": "text/turtle"})
    served = rdflib.Graph().parse(data=turtle.content, format="turtle")
    assert len(served) == len(rdflib.Graph().parse("eolink/ontology/eolink.ttl", format="turtle"))
    page = httpx.get(server.url + "/ontology", headers={"accept": "text/html"}).text
    some_class = next(str(s) for s in served.subjects(rdflib.RDF.type, rdflib.OWL.Class) if str(s).startswith(EOL))
    assert f'id="{some_class[len(EOL):]}"' in page


def test_service_to_unconfigured_host_never_leaves(server):
    recorder = Recorder()
    try:
        for service in (f"SERVICE <http://127.0.0.2:{recorder.port}/sparql>", f"SERVICE SILENT <http://127.0.0.2:{recorder.port}/x>"):
            r = httpx.get(server.sparql, params={"query": f"SELECT * WHERE {{ {service} {{ ?s ?p ?o }} }}"})
            assert r.status_code == 400 and "not a configured federation source" in r.json()["detail"]
    finally:
        recorder.close()
    assert recorder.connections == 0
