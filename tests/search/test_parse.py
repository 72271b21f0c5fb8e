"""Query understanding: places, concepts in several languages, numbers, types — and hostile input."""

from __future__ import annotations

import json

import pytest
import shapely

from eolink.errors import InputError
from eolink.etl.pipeline import ensure_ontology
from eolink.search.parse import Vocabulary, parse_query
from eolink.search.places import GAZETTEER_FILE, Gazetteer, Place
from eolink.stores import open_store

MAIZE = "https://w3id.org/eolink/codelist/crop-type/2"


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    store = open_store(None)
    ensure_ontology(store)
    return Vocabulary.from_store(store)


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    gaz = Gazetteer.builtin()
    gaz.add_store_names({"Kauppatori": shapely.box(24.9517, 60.1673, 24.9523, 60.1677), "Pohjoisesplanadi": shapely.box(24.94, 60.167, 24.952, 60.169)})
    return gaz


@pytest.mark.parametrize("word", ["maize", "corn", "Mais", "maissi", "MAIZE", "Maïs"])
def test_maize_in_every_language_is_one_concept(vocab, word):
    q = parse_query(f"fields of {word} in 2021", vocab)
    assert [c.concepts for c in q.concepts] == [(MAIZE,)]
    assert q.times and q.times[0].start.year == 2021


def test_concept_labels_come_from_the_code_lists(vocab):
    # every English prefLabel of the crop-type list is recognised as its own concept
    import pyoxigraph as ox

    from eolink.ontology import ONTOLOGY_DIR

    g = ox.parse(path=str(ONTOLOGY_DIR / "codelists" / "crop-type.ttl"), format=ox.RdfFormat.TURTLE)
    labels = {q.object.value: q.subject.value for q in g
              if q.predicate.value.endswith("prefLabel") and getattr(q.object, "language", None) == "en"
              and "/crop-type/" in q.subject.value}
    assert len(labels) == 16
    for label, concept in labels.items():
        q = parse_query(label, vocab)
        assert concept in q.concepts[0].concepts, label


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("scenes over Espoo", ["Espoo"]),
        ("scenes over Esbo and Vanda", ["Espoo", "Vantaa"]),
        ("Helsingfors", ["Helsinki"]),
        ("ice in the Gulf of Finland", ["Gulf of Finland"]),
        ("suomenlahti", ["Gulf of Finland"]),
        ("buildings near Kauppatori", ["Kauppatori"]),
        ("KAUPPATORI!", ["Kauppatori"]),
        ("Espoon kaupunki", []),  # an inflected form is not the name
        ("Espoo-based company", []),  # part of a hyphenated word
        ("Helsinki and Helsingfors", ["Helsinki"]),  # one place, two names
        ("Kauniainen", ["Kauniainen"]),
    ],
)
def test_place_names(gazetteer, text, names):
    assert [p.name for p in parse_query(text, None, gazetteer).places] == names


def test_gazetteer_geometries_are_valid_and_where_they_should_be():
    doc = json.loads(GAZETTEER_FILE.read_text(encoding="utf-8"))
    shapes = {f["properties"]["name"]: shapely.geometry.shape(f["geometry"]) for f in doc["features"]}
    assert all(g.is_valid and g.area > 0 for g in shapes.values())
    # known facts: Kauniainen is an enclave within Espoo; Helsinki borders Espoo and Vantaa; Kauppatori is in Helsinki
    assert shapes["Espoo"].buffer(0.01).contains(shapes["Kauniainen"])
    assert shapes["Helsinki"].buffer(0.005).intersects(shapes["Espoo"]) and shapes["Helsinki"].buffer(0.005).intersects(shapes["Vantaa"])
    assert shapes["Helsinki"].contains(shapely.Point(24.9521, 60.1675))  # Kauppatori
    assert shapes["Espoo"].contains(shapely.Point(24.6559, 60.2055))  # Espoo centre
    assert shapes["Vantaa"].contains(shapely.Point(24.9630, 60.3170))  # Helsinki airport
    assert not shapes["Espoo"].intersects(shapes["Porvoo"])


@pytest.mark.parametrize(
    ("text", "cloud"),
    [
        ("cloud cover below 20 %", ("<", 20.0)),
        ("cloud cover below 20%", ("<", 20.0)),
        ("clouds under 12.5 percent", ("<", 12.5)),
        ("less than 10 % cloud", ("<", 10.0)),
        ("cloud < 30", ("<", 30.0)),
        ("cloud cover at most 15 %", ("<=", 15.0)),
        ("cloudiness above 50 %", (">", 50.0)),
        ("cloud-free", ("<=", 5.0)),
        ("with little cloud", ("<=", 10.0)),
        ("no clouds", ("<=", 5.0)),
    ],
)
def test_cloud_cover(text, cloud):
    q = parse_query(f"Sentinel-2 {text}")
    assert q.cloud == cloud
    assert q.platforms == ("Sentinel-2",)


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("S1 images", "platforms", ("Sentinel-1",)),
        ("Sentinel 1", "platforms", ("Sentinel-1",)),
        ("SAR", "platforms", ("Sentinel-1",)),
        ("S2B scenes", "missions", ("S2B",)),
        ("Sentinel-2A", "missions", ("S2A",)),
        ("L2A", "levels", ("LEVEL2A",)),
        ("tile T35VLH", "tiles", ("35VLH",)),
        ("35vlg", "tiles", ("35VLG",)),
        ("relative orbit 79", "orbits", (79,)),
        ("R029", "orbits", (29,)),
        ("absolute orbit 35956", "absolute_orbits", (35956,)),
        ("ice charts", "product_types", ("sea-ice-chart",)),
        ("change masks", "product_types", ("change-mask",)),
        ("OpenStreetMap", "product_types", ("osm-extract",)),
        ("crop type map", "product_types", ("crop-type-map",)),
    ],
)
def test_types_missions_and_numbers(text, field, value):
    assert getattr(parse_query(text), field) == value


def test_lineage_and_derivation(vocab):
    q = parse_query("scenes used for the crop map", vocab)
    assert q.lineage_of == ("crop-type-map",) and q.kinds == ("scene",) and q.product_types == ()
    q = parse_query("products derived from Sentinel-2 scenes of June 2021", vocab)
    assert q.from_scenes and q.kinds == () and q.platforms == ("Sentinel-2",)


def test_concept_area_and_time_words_inside_labels(vocab):
    q = parse_query("more than 100 ha of spring cereals", vocab)
    assert q.times == ()  # "spring" belongs to the crop name
    assert q.concepts[0].label == "spring cereals" and q.concepts[0].area == (">", 100.0)
    q = parse_query("winter wheat in summer 2021", vocab)
    assert q.concepts[0].label == "winter wheat" and len(q.times) == 1 and q.times[0].start.month == 6


@pytest.mark.parametrize(
    "text",
    ['"} DROP ALL #', "} } } UNION { ?s ?p ?o", "<script>alert(1)</script>", "'; DROP TABLE users; --",
     "SELECT * WHERE { ?s ?p ?o }", "\x00\x01\x02", "🛰️🧊🌽", "((((((((((", "%00%27", "  ", ""],
)
def test_hostile_text_parses_to_nothing_structured(vocab, text):
    q = parse_query(text, vocab)
    assert not q.structured


def test_too_long_and_non_text():
    with pytest.raises(InputError):
        parse_query("maize " * 500)
    with pytest.raises(InputError):
        parse_query(42)  # type: ignore[arg-type]


def test_place_is_a_place():
    gaz = Gazetteer()
    gaz.add("x", Place("x", "feature", shapely.Point(0, 0)))  # too short to be a name
    gaz.add("and", Place("and", "feature", shapely.Point(0, 0)))  # a stop word
    assert len(gaz) == 0
