"""The ontology, the code lists, the SHACL shapes and the validator.

Expected code sets are written out here from ../shared/SIGRID3.md and
../shared/PRODUCTS.md, independently of the Turtle files.
"""

from __future__ import annotations

import re

import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, SKOS, Literal, Namespace, URIRef

from eolink.errors import ValidationError
from eolink.mappings import MAPPINGS, mapping_path
from eolink.ontology import CODELIST, EOL, ONTOLOGY_DIR, ontology_files
from eolink.ontology.validate import SHAPES_FILE, assert_valid, ontology_graph, validate

EOLNS = Namespace(EOL)
SH = Namespace("http://www.w3.org/ns/shacl#")
RML = Namespace("http://w3id.org/rml/")

# ---------------------------------------------------------------- expected codes (from the documents)
ICE_CONCENTRATION = {"00", "01", "02", *(f"{n}0" for n in range(1, 10)), "91", "92",
                     "12", "13", "23", "24", "34", "35", "45", "46", "56", "57", "67", "68", "78", "79", "89", "81", "99"}
ICE_STAGE = {"00", "80", "81", "82", "83", "84", "85", "86", "87", "88", "89", "91", "93", "95", "96", "97", "98", "99"}
ICE_FORM = {f"{n:02d}" for n in range(0, 22)} | {"99"}
EXPECTED_CODES = {
    "crop-type": {str(n) for n in range(16)},
    "change-class": {"0", "1", "2", "3", "4"},
    "ice-concentration": ICE_CONCENTRATION,
    "ice-stage": ICE_STAGE,
    "ice-form": ICE_FORM,
    "poly-type": {"I", "W", "L", "N", "S"},
    "scl": {str(n) for n in range(12)},
}
OSM_REQUIRED = {"building", "highway", "natural", "water", "railway", "harbour", "aerodrome", "dam", "power-plant",
                "bridge", "military", "landuse", "amenity", "other"}
CROP_LABELS = {"0": "legumes", "1": "grassland", "2": "maize", "3": "potato", "4": "sunflower", "5": "soy",
               "6": "winter barley", "7": "winter caraway", "8": "rye", "9": "rapeseed", "10": "beet",
               "11": "spring cereals", "12": "winter wheat", "13": "winter triticale",
               "14": "permanent plantations", "15": "other crops"}
SCL_NAMES = ["NO_DATA", "SATURATED_OR_DEFECTIVE", "DARK_AREA_PIXELS", "CLOUD_SHADOWS", "VEGETATION", "NOT_VEGETATED",
             "WATER", "UNCLASSIFIED", "CLOUD_MEDIUM_PROBABILITY", "CLOUD_HIGH_PROBABILITY", "THIN_CIRRUS", "SNOW"]
SCHEMES = sorted([*EXPECTED_CODES, "osm-feature-type"])
HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


@pytest.fixture(scope="module")
def onto() -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY_DIR / "eolink.ttl")


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(SHAPES_FILE)


def scheme_graph(scheme: str) -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY_DIR / "codelists" / f"{scheme}.ttl")


def concepts(graph: rdflib.Graph, scheme: str) -> dict[str, URIRef]:
    """notation -> concept IRI for the concepts in ``scheme``."""
    out = {}
    for c in graph.subjects(SKOS.inScheme, URIRef(CODELIST + scheme)):
        notations = list(graph.objects(c, SKOS.notation))
        assert len(notations) == 1, f"{c} has {len(notations)} notations"
        assert str(notations[0]) not in out, f"notation {notations[0]} twice in {scheme}"
        out[str(notations[0])] = c
    return out


# ---------------------------------------------------------------- parsing and declarations
def test_every_turtle_file_parses():
    files = [*ontology_files(), SHAPES_FILE, *(mapping_path(t) for t in MAPPINGS)]
    assert len(files) == 1 + 8 + 1 + 5
    for path in files:
        assert len(rdflib.Graph().parse(path, format="turtle")) > 10, path


def test_ontology_header(onto):
    o = URIRef("https://w3id.org/eolink/ontology")
    assert (o, RDF.type, OWL.Ontology) in onto
    for p in (OWL.versionInfo, URIRef("http://purl.org/dc/terms/title"), URIRef("http://purl.org/dc/terms/description"),
              URIRef("http://purl.org/dc/terms/license")):
        assert onto.value(o, p) is not None, p


def eol_terms(graph: rdflib.Graph) -> set[URIRef]:
    return {s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef) and s.startswith(EOL)}


def test_every_term_has_english_label_and_comment(onto):
    terms = eol_terms(onto)
    assert len(terms) > 60
    for term in terms:
        for prop in (RDFS.label, RDFS.comment):
            langs = [o.language for o in onto.objects(term, prop) if isinstance(o, Literal)]
            assert "en" in langs, f"{term} lacks {prop}@en"


def test_properties_are_typed_with_domain_and_range(onto):
    props = set(onto.subjects(RDF.type, OWL.ObjectProperty)) | set(onto.subjects(RDF.type, OWL.DatatypeProperty))
    assert len(props) > 40
    for p in props:
        assert onto.value(p, RDFS.domain) is not None, f"{p} has no rdfs:domain"
        assert onto.value(p, RDFS.range) is not None, f"{p} has no rdfs:range"
    assert not set(onto.subjects(RDF.type, OWL.ObjectProperty)) & set(onto.subjects(RDF.type, OWL.DatatypeProperty))


@pytest.mark.parametrize("cls,supers", [
    ("Product", ["http://www.w3.org/ns/dcat#Dataset", "http://www.w3.org/ns/prov#Entity"]),
    ("ChangeMask", [EOL + "Product"]), ("CropTypeMap", [EOL + "Product"]), ("SeaIceChart", [EOL + "Product"]),
    ("OSMExtract", [EOL + "Product"]), ("SceneCatalogue", [EOL + "Product"]),
    ("Scene", [EOL + "Product", "http://www.opengis.net/ont/geosparql#Feature"]),
    ("Sentinel1Scene", [EOL + "Scene"]), ("Sentinel2Scene", [EOL + "Scene"]),
    ("ChangeArea", [EOL + "RasterRegion"]), ("CropField", [EOL + "RasterRegion"]),
    ("RasterRegion", ["http://www.opengis.net/ont/geosparql#Feature"]),
    ("IceChartZone", ["http://www.opengis.net/ont/geosparql#Feature"]),
    ("OSMFeature", ["http://www.opengis.net/ont/geosparql#Feature"]),
    ("Parcel", ["http://www.opengis.net/ont/geosparql#Feature"]),
    ("ProcessingActivity", ["http://www.w3.org/ns/prov#Activity"]),
    ("ClassificationObservation", ["http://www.w3.org/ns/sosa/Observation"]),
])
def test_class_hierarchy(onto, cls, supers):
    assert (EOLNS[cls], RDF.type, OWL.Class) in onto
    for sup in supers:
        assert (EOLNS[cls], RDFS.subClassOf, URIRef(sup)) in onto


def test_alignments_are_references_not_equivalences(onto):
    assert (EOLNS.IceChartZone, RDFS.seeAlso, URIRef("http://purl.org/nsidc/jcomm/egg#Zone")) in onto
    assert (EOLNS.SeaIceChart, RDFS.seeAlso, URIRef("http://purl.org/nsidc/jcomm/egg#SeaIceChart")) in onto
    assert (EOLNS.totalConcentration, RDFS.seeAlso, URIRef("http://ai.di.uoa.gr/polar/ontology/hasCT")) in onto
    assert (EOLNS.cropType, RDFS.seeAlso, URIRef("http://ai.di.uoa.gr/fs/ontology/hasCropTypeName")) in onto
    assert not list(onto.triples((None, OWL.equivalentClass, None)))
    # nothing is declared in a foreign namespace
    for s in onto.subjects(RDF.type, None):
        if isinstance(s, URIRef):
            assert s.startswith(EOL) or s == URIRef("https://w3id.org/eolink/ontology"), s


def _eol_iris_in(graph: rdflib.Graph) -> set[URIRef]:
    return {t for triple in graph for t in triple if isinstance(t, URIRef) and t.startswith(EOL)}


def test_every_eol_term_used_by_shapes_mappings_and_codelists_is_declared(onto, shapes):
    declared = eol_terms(onto)
    used = _eol_iris_in(shapes)
    for t in MAPPINGS:
        m = rdflib.Graph().parse(mapping_path(t))
        used |= _eol_iris_in(m)
        # classes and predicates produced as constants
        used |= {o for o in m.objects(None, RML["class"]) if o.startswith(EOL)}
        used |= {o for o in m.objects(None, RML.predicate) if o.startswith(EOL)}
    used |= {URIRef(row.split(",")[1]) for row in
             (mapping_path("scene-catalogue").parent / "scene-classes.csv").read_text().splitlines()[1:]}
    for scheme in SCHEMES:
        used |= _eol_iris_in(scheme_graph(scheme))
    assert EOLNS.cropType in used and EOLNS.Sentinel2Scene in used and EOLNS.colour in used
    assert used - declared == set()


# ---------------------------------------------------------------- code lists
@pytest.mark.parametrize("scheme", SCHEMES)
def test_code_list_structure(scheme):
    g = scheme_graph(scheme)
    scheme_iri = URIRef(CODELIST + scheme)
    assert (scheme_iri, RDF.type, SKOS.ConceptScheme) in g
    found = concepts(g, scheme)
    assert found
    for code, c in found.items():
        assert c == URIRef(f"{CODELIST}{scheme}/{code}")
        assert (c, RDF.type, SKOS.Concept) in g
        en = [o for o in g.objects(c, SKOS.prefLabel) if o.language == "en"]
        assert len(en) == 1, f"{c}: {len(en)} English prefLabels"
        assert (c, SKOS.topConceptOf, scheme_iri) in g or g.value(c, SKOS.broader) in found.values(), c
        colours = [str(o) for o in g.objects(c, EOLNS.colour)]
        assert len(colours) == 1 and HEX.match(colours[0]), (c, colours)
    # every concept of the file is in the scheme
    assert set(g.subjects(RDF.type, SKOS.Concept)) == set(found.values())


@pytest.mark.parametrize("scheme", sorted(EXPECTED_CODES))
def test_code_list_complete(scheme):
    assert set(concepts(scheme_graph(scheme), scheme)) == EXPECTED_CODES[scheme]


def test_osm_feature_types():
    assert OSM_REQUIRED <= set(concepts(scheme_graph("osm-feature-type"), "osm-feature-type"))


def test_crop_types_labels_and_hcat():
    g = scheme_graph("crop-type")
    found = concepts(g, "crop-type")
    for code, label in CROP_LABELS.items():
        c = found[code]
        assert str(g.value(c, SKOS.prefLabel)).lower() == label
        langs = {o.language for o in g.objects(c, SKOS.altLabel)}
        assert {"de", "fi"} <= langs, c
        hcat = [str(o) for o in g.objects(c, SKOS.closeMatch)]
        assert len(hcat) == 1 and re.fullmatch(r"https://w3id\.org/hcat/33\d{8}", hcat[0]), (c, hcat)
    maize_alt = {str(o) for o in g.objects(found["2"], SKOS.altLabel)}
    assert {"corn", "Mais", "maissi"} <= maize_alt
    assert (found["12"], SKOS.closeMatch, URIRef("https://w3id.org/hcat/3301010101")) in g
    assert (found["2"], SKOS.closeMatch, URIRef("https://w3id.org/hcat/3301010600")) in g


def test_scl_labels():
    g = scheme_graph("scl")
    found = concepts(g, "scl")
    for code, name in enumerate(SCL_NAMES):
        assert Literal(name, lang="en") in set(g.objects(found[str(code)], SKOS.altLabel))


def test_ice_stage_hierarchy_and_thick_first_year():
    g = scheme_graph("ice-stage")
    found = concepts(g, "ice-stage")
    broader = {k: g.value(v, SKOS.broader) for k, v in found.items()}
    assert broader["88"] == found["87"] and broader["89"] == found["87"] and broader["87"] == found["86"]
    assert broader["91"] == found["86"] and broader["93"] == found["86"]
    assert broader["84"] == found["83"] and broader["96"] == found["95"] and broader["97"] == found["95"]
    assert "thick first-year" in str(g.value(found["93"], SKOS.prefLabel))
    assert "92" not in found  # the egg: ontology's defect
    assert (found["93"], SKOS.exactMatch, URIRef("http://purl.org/wmo/seaice#ThickFirstYearIce")) in g


def test_wmo_concentration_colours():
    g = scheme_graph("ice-concentration")
    found = concepts(g, "ice-concentration")
    colour = {k: str(g.value(v, EOLNS.colour)).upper() for k, v in found.items()}
    assert colour["01"] == "#96C8FF"
    assert {colour[c] for c in ("10", "20", "30", "12", "13")} == {"#8CFFA0"}
    assert {colour[c] for c in ("40", "50", "60", "45", "46")} == {"#FFFF00"}
    assert {colour[c] for c in ("70", "80", "78")} == {"#FF7D07"}
    assert {colour[c] for c in ("90", "91", "92", "89", "81")} == {"#FF0000"}


def test_ontology_graph_has_everything():
    g = ontology_graph()
    assert (EOLNS.CropField, RDFS.subClassOf, EOLNS.RasterRegion) in g
    assert (URIRef(CODELIST + "crop-type/2"), RDF.type, SKOS.Concept) in g


# ---------------------------------------------------------------- shape patterns vs code lists
def _patterns_for(shapes: rdflib.Graph, scheme: str) -> set[str]:
    prefix = f"^https://w3id\\.org/eolink/codelist/{scheme.replace('-', '-')}/"
    return {str(p) for p in shapes.objects(None, SH.pattern) if str(p).startswith(prefix)}


@pytest.mark.parametrize("scheme", ["crop-type", "change-class", "ice-concentration", "ice-stage", "ice-form",
                                    "poly-type", "osm-feature-type"])
def test_shape_patterns_accept_exactly_the_code_list(shapes, scheme):
    patterns = _patterns_for(shapes, scheme)
    assert patterns, scheme
    members = {str(c) for c in concepts(scheme_graph(scheme), scheme).values()}
    others = {f"{CODELIST}{scheme}/{x}" for x in ("92x", "16", "5", "90", "94", "-9", "X", "22", "city", "")} - members
    others |= {m.replace(scheme, "crop-type" if scheme != "crop-type" else "change-class") for m in members}
    for pattern in patterns:
        rx = re.compile(pattern)
        assert all(rx.search(m) for m in members), pattern
        assert not any(rx.search(o) for o in others), [o for o in others if rx.search(o)]


# ---------------------------------------------------------------- valid and broken graphs per product type
PREFIXES = """
@prefix eol: <https://w3id.org/eolink/ontology#> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix product: <https://w3id.org/eolink/resource/product/> .
@prefix activity: <https://w3id.org/eolink/resource/activity/> .
@prefix scene: <https://w3id.org/eolink/resource/scene/> .
@prefix cl: <https://w3id.org/eolink/codelist/> .
@prefix f: <https://w3id.org/eolink/resource/feature/p/> .
@prefix g: <https://w3id.org/eolink/resource/geometry/p/> .
@prefix osm: <https://www.openstreetmap.org/> .
"""
S2 = "S2B_MSIL2A_20230106T111349_N0509_R137_T30TUL_20230106T125051"
S1 = "S1A_IW_GRDH_1SDV_20210101T052338_20210101T052403_035956_043694_ABCD"


def product(cls: str, extra: str = "") -> str:
    return f"""
product:p a {cls}, dcat:Dataset ; dct:identifier "p" ; dct:title "Test product" ; eol:synthetic true ;
    eol:timeStart "2021-05-01T00:00:00Z"^^xsd:dateTime ; eol:timeEnd "2021-06-01T00:00:00Z"^^xsd:dateTime ;
    dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2021-05-01T00:00:00Z"^^xsd:dateTime ;
                   dcat:endDate "2021-06-01T00:00:00Z"^^xsd:dateTime ] ;
    prov:wasGeneratedBy activity:p ; eol:crs <http://www.opengis.net/def/crs/EPSG/0/32635> {extra} .
activity:p a eol:ProcessingActivity .
"""


def feature(local: str, cls: str, props: str, wkt: str = "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))",
            subject: str | None = None) -> str:
    s = subject or f"f:{local}"
    return f"""
{s} a geo:Feature, {cls} ; eol:inProduct product:p ; geo:hasGeometry g:{local} ; geo:hasDefaultGeometry g:{local} ;
    {props} .
g:{local} a geo:Geometry ; geo:asWKT "<http://www.opengis.net/def/crs/EPSG/0/32635> {wkt}"^^geo:wktLiteral .
"""


VALID = {
    "change-mask": product("eol:ChangeMask", f"; prov:wasDerivedFrom scene:{S2}")
    + feature("1", "eol:ChangeArea", 'eol:classCode 1 ; eol:pixelCount 4 ; eol:areaM2 400.0e0 ; eol:changeClass cl:change-class\\/1'),
    "crop-type-map": product("eol:CropTypeMap", f"; prov:wasDerivedFrom scene:{S2}")
    + feature("1", "eol:CropField", 'eol:classCode 2 ; eol:pixelCount 9 ; eol:areaM2 900.0e0 ; eol:cropType cl:crop-type\\/2'),
    "sea-ice-chart": product("eol:SeaIceChart")
    + feature("1", "eol:IceChartZone", 'eol:areaM2 1.0e6 ; eol:polygonType cl:poly-type\\/I ; '
              'eol:totalConcentration cl:ice-concentration\\/92 ; eol:concentrationA cl:ice-concentration\\/60 ; '
              'eol:stageOfDevelopmentA cl:ice-stage\\/93 ; eol:formOfIceA cl:ice-form\\/08 ; '
              'eol:traceStage cl:ice-stage\\/95 ; eol:predominantForm cl:ice-form\\/04 ; '
              'eol:rawEggCode "CT=92 CA=60 SA=93 FA=08 CB=-9"'),
    "osm-extract": product("eol:OSMExtract")
    + feature("1", "eol:OSMFeature", 'eol:osmId "42"^^xsd:integer ; eol:osmType "way" ; '
              'eol:featureType cl:osm-feature-type\\/building ; rdfs:label "Kauppatori"',
              subject="<https://www.openstreetmap.org/way/42>"),
    "scene-catalogue": product("eol:SceneCatalogue")
    + feature("s2", "eol:Sentinel2Scene", f'dct:identifier "{S2}" ; eol:mission "S2B" ; eol:platform "Sentinel-2" ; '
              'eol:sensingStart "2023-01-06T11:13:49Z"^^xsd:dateTime ; eol:relativeOrbit 137 ; '
              'eol:mgrsTile "30TUL" ; eol:cloudCover 12.5e0 ; eol:processingBaseline "0509"',
              wkt="POLYGON ((24 60, 25 60, 25 61, 24 61, 24 60))", subject=f"scene:{S2}")
    + feature("s1", "eol:Sentinel1Scene", f'dct:identifier "{S1}" ; eol:mission "S1A" ; '
              'eol:sensingStart "2021-01-01T05:23:38Z"^^xsd:dateTime ; eol:sensingEnd "2021-01-01T05:24:03Z"^^xsd:dateTime ; '
              'eol:relativeOrbit 29 ; eol:absoluteOrbit 35956 ; eol:polarisation "DV"',
              wkt="POLYGON ((24 60, 25 60, 25 61, 24 61, 24 60))", subject=f"scene:{S1}"),
}


def ttl(text: str) -> str:
    # rdflib's Turtle parser does not accept '\/' in prefixed names: expand cl:scheme\/code by hand
    text = re.sub(r"cl:([a-z-]+)\\/([A-Za-z0-9-]+)", lambda m: f"<{CODELIST}{m[1]}/{m[2]}>", text)
    return PREFIXES + text


@pytest.mark.parametrize("ptype", sorted(VALID))
def test_valid_graph_conforms(ptype):
    result = validate(ttl(VALID[ptype]))
    assert result.conforms, result.messages
    assert result.violations == 0 and result.triples > 10


BROKEN = [
    # (product type, old, new, expected fragment of a message)
    ("change-mask", "geo:hasDefaultGeometry g:1 ;", "", "hasDefaultGeometry"),
    ("change-mask", "cl:change-class\\/1", "cl:crop-type\\/1", "change-class code list"),
    ("change-mask", "eol:areaM2 400.0e0", "eol:areaM2 -400.0e0", "areaM2"),
    ("change-mask", "eol:pixelCount 4", "eol:pixelCount 0", "pixelCount"),
    ("change-mask", "eol:classCode 1 ;", "eol:classCode 1.5 ;", "classCode"),
    ("change-mask", f"scene:{S2}", "<https://w3id.org/eolink/resource/scene/S2B_MSIL2A_bad>", "scene IRI"),
    ("change-mask", "eol:synthetic true ;", "", "synthetic"),
    ("change-mask", 'eol:timeEnd "2021-06-01T00:00:00Z"', 'eol:timeEnd "2020-06-01T00:00:00Z"', "timeStart"),
    ("change-mask", "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))", "POLYGONE ((0 0, 1 0, 0 1, 0 0))", "asWKT"),
    ("change-mask", "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))", "POLYGON ((0 0, 10 0, 10", "asWKT"),
    ("change-mask", "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))", "POLYGON (0 0, 10 0, 10 10, 0 10, 0 0)", "not parseable"),
    ("change-mask", ", dcat:Dataset ;", " ;", "dcat:Dataset"),
    ("crop-type-map", "cl:crop-type\\/2", "cl:crop-type\\/16", "crop-type code list"),
    ("crop-type-map", "eol:inProduct product:p ;", "", "inProduct"),
    ("sea-ice-chart", "cl:ice-stage\\/93", "cl:ice-stage\\/92", "ice-stage code list"),
    ("sea-ice-chart", "eol:concentrationA cl:ice-concentration\\/60", "eol:concentrationA cl:ice-stage\\/60",
     "ice-concentration code list"),
    ("sea-ice-chart", "cl:poly-type\\/I", "cl:poly-type\\/X", "poly-type code list"),
    ("sea-ice-chart", '"<http://www.opengis.net/def/crs/EPSG/0/32635> POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))"^^geo:wktLiteral',
     '"POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))"', "asWKT"),
    ("osm-extract", 'eol:osmType "way"', 'eol:osmType "area"', "osmType"),
    ("osm-extract", 'eol:osmId "42"^^xsd:integer', 'eol:osmId "42"', "osmId"),
    ("osm-extract", "cl:osm-feature-type\\/building", "cl:osm-feature-type\\/castle", "osm-feature-type code list"),
    ("scene-catalogue", f'dct:identifier "{S2}"', 'dct:identifier "S2B_MSIL2A_20230106_bad"', "Sentinel-2 product name"),
    ("scene-catalogue", f'dct:identifier "{S1}"', f'dct:identifier "{S2}"', "Sentinel-1 product name"),
    ("scene-catalogue", "eol:relativeOrbit 137", "eol:relativeOrbit 176", "relativeOrbit"),
    ("scene-catalogue", "eol:relativeOrbit 29", "eol:relativeOrbit 0", "relativeOrbit"),
    ("scene-catalogue", "eol:cloudCover 12.5e0", "eol:cloudCover 112.5e0", "cloudCover"),
    ("scene-catalogue", 'eol:sensingStart "2023-01-06T11:13:49Z"^^xsd:dateTime', 'eol:sensingStart "2023-01-06"',
     "sensingStart"),
    ("scene-catalogue", 'geo:hasDefaultGeometry g:s1 ;', "geo:hasDefaultGeometry g:s1, g:s2 ;", "hasDefaultGeometry"),
]


@pytest.mark.parametrize("ptype,old,new,fragment", BROKEN, ids=[f"{b[0]}-{i}" for i, b in enumerate(BROKEN)])
def test_broken_graph_is_rejected(ptype, old, new, fragment):
    assert old in VALID[ptype], old
    result = validate(ttl(VALID[ptype].replace(old, new, 1)))
    assert not result.conforms
    assert result.violations >= 1
    assert any(fragment in m for m in result.messages), result.messages


def test_change_mask_without_scenes_is_only_a_warning():
    result = validate(ttl(VALID["change-mask"].replace(f"; prov:wasDerivedFrom scene:{S2}", "")))
    assert result.conforms and result.warnings == 1


# ---------------------------------------------------------------- validate() inputs and assert_valid
def test_validate_accepts_graphs_datasets_and_nquads():
    g = rdflib.Graph().parse(data=ttl(VALID["crop-type-map"]), format="turtle")
    before = len(g)
    assert validate(g).conforms
    assert len(g) == before  # the caller's graph is not modified
    ds = rdflib.Dataset()
    graph = ds.graph(URIRef("https://w3id.org/eolink/resource/product/p"))
    for t in g:
        graph.add(t)
    nquads = ds.serialize(format="nquads")
    assert validate(ds).conforms
    assert validate(nquads).conforms
    assert validate(nquads.encode()).conforms
    assert not validate(nquads.replace("crop-type/2", "crop-type/99")).conforms


def test_ontology_mixing_is_needed_for_subclass_targets():
    # a node typed only eol:CropField (no explicit geo:Feature) is still a feature target
    text = ttl(VALID["crop-type-map"]).replace("f:1 a geo:Feature, eol:CropField", "f:1 a eol:CropField")
    result = validate(text)
    assert not result.conforms and any("geo:Feature" in m for m in result.messages)


def test_assert_valid():
    assert assert_valid(ttl(VALID["osm-extract"])).conforms
    with pytest.raises(ValidationError) as err:
        assert_valid(ttl(VALID["osm-extract"].replace('"way"', '"area"')))
    assert "\n" not in str(err.value) and "osmType" in str(err.value)
    assert err.value.status == 422 and "Validation Report" in err.value.report


def test_unparseable_input():
    from eolink.errors import InputError

    with pytest.raises(InputError):
        validate("<a> <b> .", format="nquads")


@pytest.mark.slow
def test_validation_speed_10k_features():
    lines = [ttl(product("eol:CropTypeMap"))]
    for i in range(10_000):
        lines.append(feature(str(i), "eol:CropField",
                             f'eol:classCode {i % 16} ; eol:pixelCount 1 ; eol:areaM2 100.0e0 ; eol:cropType cl:crop-type\\/{i % 16}'))
    text = ttl("".join(lines[1:])).replace(PREFIXES, "", 1)
    text = lines[0] + text
    result = validate(text)
    assert result.conforms, result.messages
    assert result.seconds < 60, result.seconds
