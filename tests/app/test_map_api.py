"""Map API on a real server: layers from SPARQL (geometry column, CRS), tiles, CRS definitions, saved maps."""

from __future__ import annotations

import json

import httpx
import mapbox_vector_tile
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import shape

from eolink.stores import open_store
from tests.app.conftest import TOKEN, start_server, stop_server

GRAPH = "http://example.org/graph/map"
DATA = """
@prefix ex: <http://example.org/> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a ex:value 1.5 ; ex:when "2021-05-01T10:00:00Z"^^xsd:dateTime ; ex:kind ex:k1 ;
     geo:hasGeometry [ geo:asWKT "<http://www.opengis.net/def/crs/EPSG/0/32635> POLYGON ((385000 6672000, 386000 6672000, 386000 6673000, 385000 6672000))"^^geo:wktLiteral ] .
ex:b ex:value 7 ; ex:when "2021-06-01T10:00:00Z"^^xsd:dateTime ; ex:kind ex:k2 ;
     geo:hasGeometry [ geo:asWKT "<http://www.opengis.net/def/crs/EPSG/0/4326> POINT (60.2 24.9)"^^geo:wktLiteral ] .
ex:c ex:value 3 ; ex:kind ex:k1 ;
     geo:hasGeometry [ geo:asWKT "LINESTRING (24.9 60.1, 25.0 60.2)"^^geo:wktLiteral ] .
ex:d ex:value 4 ; geo:hasGeometry [ geo:asGeoJSON "{\\"type\\": \\"Point\\", \\"coordinates\\": [25.1, 60.3]}"^^geo:geoJSONLiteral ] .
"""
QUERY = """PREFIX ex: <http://example.org/> PREFIX geo: <http://www.opengis.net/ont/geosparql#>
SELECT ?f ?value ?when ?kind ?g WHERE { ?f ex:value ?value ; geo:hasGeometry ?geom .
  { ?geom geo:asWKT ?g } UNION { ?geom geo:asGeoJSON ?g }
  OPTIONAL { ?f ex:when ?when } OPTIONAL { ?f ex:kind ?kind } } ORDER BY ?f"""


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Two real servers over the same kind of store: without and with a token."""
    urls, procs = {}, []
    for name, token in (("open", None), ("token", TOKEN)):
        data_dir = tmp_path_factory.mktemp(f"map-{name}")
        with open_store(data_dir / "store") as store:
            store.load(GRAPH, DATA, fmt="ttl")
        proc, url = start_server(data_dir, token=token)
        procs.append(proc)
        urls[name] = url
    try:
        yield urls
    finally:
        for proc in procs:
            stop_server(proc)


def test_layer_picks_the_geometry_column_and_reprojects_every_crs(servers):
    url = servers["open"]
    summary = httpx.post(url + "/api/layers", json={"query": QUERY, "title": "mixed"}, timeout=30).json()
    assert summary["geometry_column"] == "g" and summary["count"] == 4 and summary["time_column"] == "when"
    assert summary["numeric"]["value"] == [1.5, 7]
    assert summary["categories"]["kind"] == ["http://example.org/k1", "http://example.org/k2"]
    assert summary["tiled"] is False
    features = httpx.get(url + summary["geojson"]).json()["features"]
    by_iri = {f["properties"]["f"]: shape(f["geometry"]) for f in features}
    utm = pyproj.Transformer.from_crs(32635, 4326, always_xy=True)
    xs, ys = utm.transform([385000, 386000, 386000, 385000], [6672000, 6672000, 6673000, 6672000])
    assert shapely.equals_exact(by_iri["http://example.org/a"], shapely.Polygon(list(zip(xs, ys))), tolerance=1e-9)
    assert by_iri["http://example.org/b"].equals(shapely.Point(24.9, 60.2))  # EPSG:4326 WKT is lat, lon
    assert by_iri["http://example.org/c"].equals(shapely.LineString([(24.9, 60.1), (25.0, 60.2)]))
    assert by_iri["http://example.org/d"].equals(shapely.Point(25.1, 60.3))
    times = {f["properties"]["f"]: f["properties"].get("_t") for f in features}
    assert times["http://example.org/a"] == 1619863200000 and times["http://example.org/c"] is None
    bbox = shapely.total_bounds(list(by_iri.values()))
    assert np.allclose(summary["bbox"], bbox)


def test_layer_rows_tiles_and_errors(servers):
    url = servers["open"]
    summary = httpx.post(url + "/api/layers", json={"query": QUERY}, timeout=30).json()
    rows = httpx.get(f"{url}/api/layers/{summary['id']}/rows", params={"limit": 2}).json()
    assert rows["total"] == 4 and len(rows["rows"]) == 2 and rows["columns"][0] == "g"
    tile = httpx.get(url + summary["tiles"].format(z=6, x=36, y=18))
    assert tile.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    decoded = mapbox_vector_tile.decode(tile.content)["features"]["features"]
    assert sorted(f["properties"]["f"] for f in decoded) == [f"http://example.org/{c}" for c in "abcd"]
    # At zoom 0 a pixel is ~78 km: the 1 km polygon and the 14 km line become dots.
    world = mapbox_vector_tile.decode(httpx.get(url + summary["tiles"].format(z=0, x=0, y=0)).content)["features"]["features"]
    assert {f["properties"]["f"]: f["geometry"]["type"] for f in world} == {f"http://example.org/{c}": "Point" for c in "abcd"}
    assert {f["properties"]["f"]: f["geometry"]["type"] for f in decoded} == {
        "http://example.org/a": "Polygon", "http://example.org/b": "Point", "http://example.org/c": "LineString", "http://example.org/d": "Point"}
    bad = httpx.post(url + "/api/layers", json={"query": "SELECT ?s WHERE { ?s ?p ?o }"}, timeout=30)
    assert bad.status_code == 400 and "geometry" in bad.json()["detail"]
    assert httpx.post(url + "/api/layers", json={"query": "SELECT * WHERE {"}).status_code == 400
    assert httpx.post(url + "/api/layers", json={}).status_code == 400
    assert httpx.get(url + "/api/layers/nope/features.geojson").status_code == 404
    assert httpx.get(url + "/tiles/nope/0/0/0.mvt").status_code == 404


def test_crs_definition_for_the_browser(servers):
    answer = httpx.get(servers["open"] + "/api/crs", params={"iri": "http://www.opengis.net/def/crs/EPSG/0/3067"}).json()
    from_definition = pyproj.Transformer.from_crs(pyproj.CRS(answer["proj4"]), 4326, always_xy=True)
    from_epsg = pyproj.Transformer.from_crs(3067, 4326, always_xy=True)
    assert np.allclose(from_definition.transform(385000, 6672000), from_epsg.transform(385000, 6672000), atol=1e-6)
    assert answer["axis"] == "enu"
    assert httpx.get(servers["open"] + "/api/crs", params={"iri": "http://www.opengis.net/def/crs/EPSG/0/4326"}).json()["axis"] == "neu"
    assert httpx.get(servers["open"] + "/api/crs", params={"iri": "http://example.org/nocrs"}).status_code == 400


def test_basemap_tiles_cover_land_at_helsinki(servers):
    from eolink.app.main import STATIC_DIR

    if not (STATIC_DIR / "vendor" / "basemap" / "land.geojson").exists():
        pytest.skip("the basemap is not built (make web)")
    tile = httpx.get(servers["open"] + "/tiles/basemap-land/6/36/18.mvt", timeout=60)
    land = [shape(f["geometry"]) for f in mapbox_vector_tile.decode(tile.content, default_options={"y_coord_down": True})["features"]["features"]]
    # 6/36/18: Helsinki (24.94 E, 60.17 N) lies at tile pixel … in a 4096 grid; it is on land in Natural Earth 10m.
    n = 2**6
    x = ((24.94 + 180) / 360 * n - 36) * 4096
    y = ((1 - np.log(np.tan(np.radians(60.25)) + 1 / np.cos(np.radians(60.25))) / np.pi) / 2 * n - 18) * 4096
    assert any(g.contains(shapely.Point(x, y)) for g in land)


SPEC = {
    "title": "Fields and scenes",
    "view": {"center": [24.9, 60.2], "zoom": 9.5},
    "layers": [
        {"title": "fields", "query": QUERY, "opacity": 0.5, "visible": True, "style": {"mode": "categorical", "property": "kind"}},
        {"title": "remote", "endpoint": "http://127.0.0.1:9/sparql", "query": "SELECT * {}", "visible": False},
    ],
}


def graph_count(url: str) -> int:
    q = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    return int(httpx.post(url + "/sparql", data={"query": q}, headers={"Accept": "application/sparql-results+json"}).json()["results"]["bindings"][0]["n"]["value"])


def test_saved_map_round_trips_as_json_rdf_and_turtle(servers):
    url = servers["open"]
    created = httpx.post(url + "/api/maps", json=SPEC)
    assert created.status_code == 201
    map_id = created.json()["id"]
    assert created.json()["url"] == f"/map?map={map_id}"
    got = httpx.get(f"{url}/api/maps/{map_id}").json()
    assert got["title"] == SPEC["title"] and got["view"] == SPEC["view"]
    assert [(l["title"], l["query"], l["endpoint"], l["visible"], l["opacity"], l["style"]) for l in got["layers"]] == [
        ("fields", QUERY, "", True, 0.5, {"mode": "categorical", "property": "kind"}),
        ("remote", "SELECT * {}", "http://127.0.0.1:9/sparql", False, 1.0, {}),
    ]
    # The map is RDF in its own named graph: read it back with plain SPARQL.
    q = f"""SELECT ?query WHERE {{ GRAPH <https://w3id.org/eolink/resource/map/{map_id}> {{
        ?m a <https://w3id.org/eolink/ontology#SavedMap> ; <https://w3id.org/eolink/ontology#hasLayer> ?l .
        ?l <https://w3id.org/eolink/ontology#sparqlQuery> ?query }} }}"""
    rows = httpx.post(url + "/sparql", data={"query": q}, headers={"Accept": "application/sparql-results+json"}).json()["results"]["bindings"]
    assert sorted(r["query"]["value"] for r in rows) == sorted([QUERY, "SELECT * {}"])
    assert any(m["id"] == map_id for m in httpx.get(url + "/api/maps").json())
    # Turtle export parses with rdflib (an independent parser) and imports back to the same map.
    turtle = httpx.get(f"{url}/api/maps/{map_id}", params={"format": "ttl", "download": "true"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert "attachment" in turtle.headers["content-disposition"]
    import rdflib

    assert len(rdflib.Graph().parse(data=turtle.text, format="turtle")) > 10
    imported = httpx.post(url + "/api/maps", content=turtle.text, headers={"Content-Type": "text/turtle"})
    assert imported.status_code == 201
    again = httpx.get(f"{url}/api/maps/{imported.json()['id']}").json()
    assert again["layers"] == got["layers"] and again["view"] == got["view"]
    exported = httpx.get(f"{url}/api/maps/{map_id}", params={"format": "json"}).json()
    reimported = httpx.post(url + "/api/maps", json=exported).json()
    assert httpx.get(f"{url}/api/maps/{reimported['id']}").json()["layers"] == got["layers"]
    # Replace and delete.
    changed = dict(SPEC, title="renamed", layers=SPEC["layers"][:1])
    assert httpx.put(f"{url}/api/maps/{map_id}", json=changed).status_code == 200
    assert len(httpx.get(f"{url}/api/maps/{map_id}").json()["layers"]) == 1
    assert httpx.delete(f"{url}/api/maps/{map_id}").status_code == 204
    assert httpx.get(f"{url}/api/maps/{map_id}").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"layers": [{"query": ""}]},
        {"layers": [{"query": "SELECT * {}", "endpoint": "file:///etc/passwd"}]},
        {"layers": [{"query": "SELECT * {}", "opacity": 3}]},
        {"view": {"center": [500, 0], "zoom": 3}},
        {"layers": [{"query": "SELECT * {}"}] * 51},
        [1, 2],
    ],
)
def test_invalid_maps_are_refused_and_leave_the_store_unchanged(servers, body):
    url = servers["open"]
    before = graph_count(url)
    answer = httpx.post(url + "/api/maps", content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json"
    assert graph_count(url) == before


def test_bad_turtle_and_bad_ids(servers):
    url = servers["open"]
    assert httpx.post(url + "/api/maps", content="@prefix x: <", headers={"Content-Type": "text/turtle"}).status_code == 400
    assert httpx.post(url + "/api/maps", content="<http://a> <http://b> <http://c> .", headers={"Content-Type": "text/turtle"}).status_code == 400
    assert httpx.get(url + "/api/maps/bad%20id").status_code == 400
    assert httpx.put(url + "/api/maps/x..y", json=SPEC).status_code == 400


def test_writing_maps_is_guarded(servers):
    # Without a token: loopback clients may write, but not from another site's pages.
    foreign = httpx.post(servers["open"] + "/api/maps", json=SPEC, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403
    same = httpx.post(servers["open"] + "/api/maps", json=SPEC, headers={"Origin": servers["open"]})
    assert same.status_code == 201
    # With a token: the token is required, even from loopback.
    url = servers["token"]
    assert httpx.post(url + "/api/maps", json=SPEC).status_code == 403
    assert httpx.post(url + "/api/maps", json=SPEC, headers={"Authorization": "Bearer wrong"}).status_code == 403
    ok = httpx.post(url + "/api/maps", json=SPEC, headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 201
    assert httpx.delete(f"{url}/api/maps/{ok.json()['id']}").status_code == 403
    assert httpx.get(f"{url}/api/maps/{ok.json()['id']}").status_code == 200  # reading needs no token
