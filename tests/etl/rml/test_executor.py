"""The engine end to end on in-memory tables, in both RML vocabularies."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import rdflib
from rdflib import Dataset, Graph, Literal, URIRef
from shapely.geometry import Point, box

from eolink.errors import InputError, MappingError
from eolink.etl.rml import execute, execute_to_file, load_mapping
from eolink.etl.table import FeatureTable, ProductRecord

PREFIXES_LEGACY = """
@prefix rr: <http://www.w3.org/ns/r2rml#> .
@prefix rml: <http://semweb.mmlab.be/ns/rml#> .
@prefix ql: <http://semweb.mmlab.be/ns/ql#> .
@prefix fnml: <http://semweb.mmlab.be/ns/fnml#> .
@prefix fno: <https://w3id.org/function/ontology#> .
@prefix rrx: <http://www.w3.org/ns/r2rml-ext#> .
@prefix rrxf: <http://www.w3.org/ns/r2rml-ext/functions/def/> .
@prefix eolf: <https://w3id.org/eolink/functions#> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix eol: <https://w3id.org/eolink/ontology#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
"""
PREFIXES_NEW = PREFIXES_LEGACY.replace("<http://semweb.mmlab.be/ns/rml#>", "<http://w3id.org/rml/>")

# The same mapping in both vocabularies: features with geometry, a product row with a list column.
LEGACY = PREFIXES_LEGACY + """
<#Parcels> a rr:TriplesMap ;
  rml:logicalSource [ rml:source "features" ; rml:referenceFormulation ql:CSV ] ;
  rr:subjectMap [ rr:template "https://w3id.org/eolink/resource/feature/demo/{id}" ; rr:class eol:Parcel ;
                  rr:graphMap [ rr:constant <https://w3id.org/eolink/resource/product/demo> ] ] ;
  rr:predicateObjectMap [ rr:predicate geo:hasGeometry ;
      rr:objectMap [ rr:template "https://w3id.org/eolink/resource/geometry/demo/{id}" ] ] ;
  rr:predicateObjectMap [ rr:predicate eol:areaM2 ;
      rr:objectMap [ rml:reference "area_m2" ; rr:datatype xsd:double ] ] ;
  rr:predicateObjectMap [ rr:predicate eol:label ; rr:objectMap [ rml:reference "name" ; rr:language "fi" ] ] ;
  rr:predicateObjectMap [ rr:predicate eol:inProduct ; rr:objectMap [ rr:parentTriplesMap <#Product> ] ] .
<#Geometries> a rr:TriplesMap ;
  rml:logicalSource [ rml:source "features" ; rml:referenceFormulation ql:CSV ] ;
  rr:subjectMap [ rr:template "https://w3id.org/eolink/resource/geometry/demo/{id}" ; rr:class geo:Geometry ;
                  rr:graphMap [ rr:constant <https://w3id.org/eolink/resource/product/demo> ] ] ;
  rr:predicateObjectMap [ rr:predicate geo:asWKT ;
      rr:objectMap [ rr:datatype geo:wktLiteral ;
        fnml:functionValue [
          rr:predicateObjectMap [ rr:predicate fno:executes ; rr:objectMap [ rr:constant eolf:asWKT ] ] ;
          rr:predicateObjectMap [ rr:predicate eolf:geometry ; rr:objectMap [ rml:reference "geometry" ] ] ] ] ] .
<#Product> a rr:TriplesMap ;
  rml:logicalSource [ rml:source "product" ; rml:referenceFormulation ql:CSV ] ;
  rr:subjectMap [ rml:reference "product_iri" ;
                  rr:graphMap [ rr:constant <https://w3id.org/eolink/resource/product/demo> ] ] ;
  rr:predicateObjectMap [ rr:predicate prov:wasDerivedFrom ;
      rr:objectMap [ rr:template "https://w3id.org/eolink/resource/scene/{scenes}" ] ] ;
  rr:predicateObjectMap [ rr:predicate eol:timeStart ;
      rr:objectMap [ rml:reference "time_start" ; rr:datatype xsd:dateTime ] ] .
"""

NEW = PREFIXES_NEW + """
<#Parcels> a rml:TriplesMap ;
  rml:logicalSource [ rml:source "features" ; rml:referenceFormulation rml:CSV ] ;
  rml:subjectMap [ rml:template "https://w3id.org/eolink/resource/feature/demo/{id}" ; rml:class eol:Parcel ;
                   rml:graph <https://w3id.org/eolink/resource/product/demo> ] ;
  rml:predicateObjectMap [ rml:predicate geo:hasGeometry ;
      rml:objectMap [ rml:template "https://w3id.org/eolink/resource/geometry/demo/{id}" ] ] ;
  rml:predicateObjectMap [ rml:predicate eol:areaM2 ;
      rml:objectMap [ rml:reference "area_m2" ; rml:datatype xsd:double ] ] ;
  rml:predicateObjectMap [ rml:predicate eol:label ; rml:objectMap [ rml:reference "name" ; rml:language "fi" ] ] ;
  rml:predicateObjectMap [ rml:predicate eol:inProduct ; rml:objectMap [ rml:parentTriplesMap <#Product> ] ] .
<#Geometries> a rml:TriplesMap ;
  rml:logicalSource [ rml:source "features" ; rml:referenceFormulation rml:CSV ] ;
  rml:subjectMap [ rml:template "https://w3id.org/eolink/resource/geometry/demo/{id}" ; rml:class geo:Geometry ;
                   rml:graph <https://w3id.org/eolink/resource/product/demo> ] ;
  rml:predicateObjectMap [ rml:predicate geo:asWKT ;
      rml:objectMap [ rml:datatype geo:wktLiteral ;
        rml:functionExecution [ rml:function eolf:asWKT ;
          rml:input [ rml:parameter eolf:geometry ; rml:inputValueMap [ rml:reference "geometry" ] ] ] ;
        rml:return eolf:output ] ] .
<#Product> a rml:TriplesMap ;
  rml:logicalSource [ rml:source "product" ; rml:referenceFormulation rml:CSV ] ;
  rml:subjectMap [ rml:reference "product_iri" ; rml:graph <https://w3id.org/eolink/resource/product/demo> ] ;
  rml:predicateObjectMap [ rml:predicate prov:wasDerivedFrom ;
      rml:objectMap [ rml:template "https://w3id.org/eolink/resource/scene/{scenes}" ] ] ;
  rml:predicateObjectMap [ rml:predicate eol:timeStart ;
      rml:objectMap [ rml:reference "time_start" ; rml:datatype xsd:dateTime ] ] .
"""

GRAPH = URIRef("https://w3id.org/eolink/resource/product/demo")
EOL = "https://w3id.org/eolink/ontology#"
GEO = "http://www.opengis.net/ont/geosparql#"


@pytest.fixture
def table() -> FeatureTable:
    from datetime import datetime, timezone

    gdf = gpd.GeoDataFrame(
        {"id": ["1", "2", "x y"], "area_m2": [100.0, 250.5, 4.0], "name": ["Pelto", None, 'Sanottu "niitty"']},
        geometry=[box(385000, 6672000, 385010, 6672010), box(0, 0, 1, 1), Point(385005, 6672005)],
        crs="EPSG:3067",
    )
    product = ProductRecord(product_id="demo", product_type="crop-type-map", title="Demo",
                            time_start=datetime(2024, 6, 1, tzinfo=timezone.utc),
                            scenes=["S2A_MSIL2A_1", "S2B_MSIL2A_2"])
    return FeatureTable(gdf, product)


def _sources(table: FeatureTable) -> dict:
    return {"features": table.features, "product": [table.product.as_row()]}


def _dataset(text: str) -> Dataset:
    ds = Dataset()
    normalize, rdflib.NORMALIZE_LITERALS = rdflib.NORMALIZE_LITERALS, False  # keep lexical forms
    try:
        ds.parse(data=text, format="nquads")
    finally:
        rdflib.NORMALIZE_LITERALS = normalize
    return ds


def _graph(text: str, name: URIRef | None = GRAPH) -> Graph:
    ds = _dataset(text)
    g = Graph()
    for s, p, o, c in ds.quads((None, None, None, None)):
        if (name is None and (c is None or c == ds.default_context.identifier)) or c == name:
            g.add((s, p, o))
    return g


def test_geodataframe_source(table: FeatureTable) -> None:
    text = "".join(execute(load_mapping(NEW), sources=_sources(table)))
    g = _graph(text)
    feature = URIRef("https://w3id.org/eolink/resource/feature/demo/1")
    geometry = URIRef("https://w3id.org/eolink/resource/geometry/demo/1")
    assert (feature, URIRef(GEO + "hasGeometry"), geometry) in g
    wkt = g.value(geometry, URIRef(GEO + "asWKT"))
    assert wkt.datatype == URIRef(GEO + "wktLiteral")
    assert str(wkt).startswith("<http://www.opengis.net/def/crs/EPSG/0/3067> POLYGON ((")
    assert g.value(feature, URIRef(EOL + "areaM2")) == Literal("100.0", datatype=URIRef(
        "http://www.w3.org/2001/XMLSchema#double"))
    # null name: no triple; quotes escaped; IRI-unsafe id percent-encoded
    assert g.value(URIRef("https://w3id.org/eolink/resource/feature/demo/2"), URIRef(EOL + "label")) is None
    odd = URIRef("https://w3id.org/eolink/resource/feature/demo/x%20y")
    assert g.value(odd, URIRef(EOL + "label")) == Literal('Sanottu "niitty"', lang="fi")
    assert str(g.value(URIRef("https://w3id.org/eolink/resource/geometry/demo/x%20y"),
                       URIRef(GEO + "asWKT"))).endswith("POINT (385005 6672005)")
    assert len(_graph(text, None)) == 0  # everything went to the product's named graph


def test_list_column_yields_one_term_per_element(table: FeatureTable) -> None:
    g = _graph("".join(execute(load_mapping(NEW), sources=_sources(table))))
    product = URIRef(table.product.iri)
    derived = set(g.objects(product, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")))
    assert derived == {URIRef("https://w3id.org/eolink/resource/scene/S2A_MSIL2A_1"),
                       URIRef("https://w3id.org/eolink/resource/scene/S2B_MSIL2A_2")}
    assert str(g.value(product, URIRef(EOL + "timeStart"))) == "2024-06-01T00:00:00Z"


def test_referencing_object_map_without_join_crosses_sources(table: FeatureTable) -> None:
    g = _graph("".join(execute(load_mapping(NEW), sources=_sources(table))))
    in_product = set(g.subject_objects(URIRef(EOL + "inProduct")))
    assert len(in_product) == 3
    assert {o for _, o in in_product} == {URIRef(table.product.iri)}


def test_both_vocabularies_give_identical_output(table: FeatureTable) -> None:
    legacy = "".join(execute(load_mapping(LEGACY), sources=_sources(table)))
    new = "".join(execute(load_mapping(NEW), sources=_sources(table)))
    assert sorted(legacy.splitlines()) == sorted(new.splitlines())
    assert len(legacy.splitlines()) > 15


def test_geotriples_rrx_function_form(table: FeatureTable) -> None:
    rrx = LEGACY.replace(
        """fnml:functionValue [
          rr:predicateObjectMap [ rr:predicate fno:executes ; rr:objectMap [ rr:constant eolf:asWKT ] ] ;
          rr:predicateObjectMap [ rr:predicate eolf:geometry ; rr:objectMap [ rml:reference "geometry" ] ] ]""",
        """rrx:function rrxf:asWKT ; rrx:argumentMap ( [ rml:reference "geometry" ] )""",
    )
    assert rrx != LEGACY
    a = "".join(execute(load_mapping(rrx), sources=_sources(table)))
    b = "".join(execute(load_mapping(LEGACY), sources=_sources(table)))
    assert sorted(a.splitlines()) == sorted(b.splitlines())


def test_chunking_does_not_change_output(table: FeatureTable) -> None:
    mapping = load_mapping(NEW)
    whole = "".join(execute(mapping, sources=_sources(table)))
    chunked = "".join(execute(mapping, sources=_sources(table), chunk_rows=1))
    assert sorted(set(whole.splitlines())) == sorted(set(chunked.splitlines()))


JOIN = PREFIXES_NEW + """
<#Students> rml:logicalSource [ rml:source "students" ; rml:referenceFormulation rml:CSV ] ;
  rml:subjectMap [ rml:template "http://ex.org/student/{id}" ] ;
  rml:predicateObjectMap [ rml:predicate <http://ex.org/plays> ;
    rml:objectMap [ rml:parentTriplesMap <#Sports> ;
      rml:joinCondition [ rml:child "sport" ; rml:parent "code" ] ;
      rml:joinCondition [ rml:child "season" ; rml:parent "season" ] ] ] .
<#Sports> rml:logicalSource [ rml:source "sports" ; rml:referenceFormulation rml:CSV ] ;
  rml:subjectMap [ rml:template "http://ex.org/sport/{code}/{season}" ] .
"""


def test_join_conditions() -> None:
    students = pd.DataFrame({"id": [1, 2, 3, 4], "sport": ["T", "F", "T", None], "season": ["s", "w", "w", "s"]})
    sports = [{"code": "T", "season": "s"}, {"code": "T", "season": "w"}, {"code": "F", "season": "s"}]
    text = "".join(execute(load_mapping(JOIN), sources={"students": students, "sports": sports}))
    plays = {(str(s).rsplit("/", 1)[1], str(o).split("sport/")[1]) for s, _, o in _graph(text, None)}
    assert plays == {("1", "T/s"), ("3", "T/w")}


def test_join_on_list_column() -> None:
    students = pd.DataFrame({"id": ["a"], "sport": [["T", "F"]], "season": ["s"]})
    sports = [{"code": "T", "season": "s"}, {"code": "F", "season": "s"}]
    text = "".join(execute(load_mapping(JOIN), sources={"students": students, "sports": sports}))
    assert len(_graph(text, None)) == 2


def test_execute_to_file(tmp_path: Path, table: FeatureTable) -> None:
    out = tmp_path / "out.nq"
    n = execute_to_file(load_mapping(NEW), out, sources=_sources(table))
    assert n == len(out.read_text().splitlines()) == len(_dataset(out.read_text()))
    assert not list(tmp_path.glob("*.part"))


def test_relative_sources_resolve_against_mapping_dir(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.csv").write_text("id,name\n1,Åland\n")
    mapping_file = tmp_path / "m.ttl"
    mapping_file.write_text(PREFIXES_LEGACY + """
<#T> rml:logicalSource [ rml:source "data/rows.csv" ; rml:referenceFormulation ql:CSV ] ;
  rr:subjectMap [ rr:template "http://ex.org/{id}" ] ;
  rr:predicateObjectMap [ rr:predicate <http://ex.org/name> ; rr:objectMap [ rml:reference "name" ] ] .
""")
    text = "".join(execute(load_mapping(mapping_file)))
    assert text == '<http://ex.org/1> <http://ex.org/name> "Åland" .\n'


# -- errors -----------------------------------------------------------------------------------
def test_subject_map_without_value_names_map_and_term() -> None:
    text = PREFIXES_NEW + """
<#Parcels> rml:logicalSource [ rml:source "features" ] ; rml:subjectMap [ rml:class eol:Parcel ] ."""
    with pytest.raises(MappingError, match=r"TriplesMap <#Parcels>: subject map has no template, reference or constant"):
        load_mapping(text)


def test_unknown_reference_names_map_and_reference(table: FeatureTable) -> None:
    mapping = load_mapping(NEW.replace('"area_m2"', '"area_m3"'))
    with pytest.raises(MappingError, match=r"TriplesMap <#Parcels>: reference 'area_m3' is not a column"):
        list(execute(mapping, sources=_sources(table)))


def test_unknown_template_reference(table: FeatureTable) -> None:
    mapping = load_mapping(NEW.replace("geometry/demo/{id}\" ; rml:class", "geometry/demo/{fid}\" ; rml:class"))
    with pytest.raises(MappingError, match=r"TriplesMap <#Geometries>: reference 'fid'"):
        list(execute(mapping, sources=_sources(table)))


def test_missing_source_file_is_input_error(tmp_path: Path) -> None:
    mapping = load_mapping(PREFIXES_LEGACY + """
<#T> rml:logicalSource [ rml:source "nope.csv" ; rml:referenceFormulation ql:CSV ] ;
  rr:subjectMap [ rr:template "http://ex.org/{id}" ] .""", base_dir=tmp_path)
    with pytest.raises(InputError, match="nope.csv"):
        list(execute(mapping))


def test_missing_mapping_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        load_mapping(tmp_path / "missing.ttl")


def test_unknown_function(table: FeatureTable) -> None:
    mapping = load_mapping(NEW.replace("rml:function eolf:asWKT", "rml:function eolf:asKML"))
    with pytest.raises(MappingError, match=r"TriplesMap <#Geometries>: unknown function"):
        list(execute(mapping, sources=_sources(table)))


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ('rml:subjectMap [ rml:template "http://ex.org/{id" ]', "unclosed"),
        ('rml:subjectMap [ rml:template "http://ex.org/{id}" ; rml:reference "id" ]', "more than one"),
        ('rml:subjectMap [ rml:template "http://ex.org/{id}" ], [ rml:template "http://ex.org/b/{id}" ]',
         "2 subject maps"),
        ('rml:subjectMap [ rml:template "http://ex.org/{id}" ; rml:graphMap [ rml:reference "g" ; '
         'rml:termType rml:Literal ] ]', "graph map must produce IRIs"),
    ],
)
def test_malformed_mappings(snippet: str, message: str) -> None:
    text = PREFIXES_NEW + f'<#T> rml:logicalSource [ rml:source "t" ] ; {snippet} .'
    with pytest.raises(MappingError, match=message):
        load_mapping(text)


def test_invalid_language_tag() -> None:
    text = PREFIXES_NEW + """<#T> rml:logicalSource [ rml:source "t" ] ; rml:subjectMap [ rml:template "http://ex.org/{id}" ] ;
      rml:predicateObjectMap [ rml:predicate <http://ex.org/p> ; rml:objectMap [ rml:reference "n" ; rml:language "english" ] ] ."""
    with pytest.raises(MappingError, match="TriplesMap <#T>: .*invalid language tag 'english'"):
        load_mapping(text)


def test_language_map_datatype_and_blank_subjects() -> None:
    text = PREFIXES_NEW + """
<#T> rml:logicalSource [ rml:source "t" ] ;
  rml:subjectMap [ rml:termType rml:BlankNode ] ;
  rml:predicateObjectMap [ rml:predicate <http://ex.org/label> ;
      rml:objectMap [ rml:reference "label" ; rml:languageMap [ rml:reference "lang" ] ] ] ;
  rml:predicateObjectMap [ rml:predicate <http://ex.org/count> ;
      rml:objectMap [ rml:reference "count" ; rml:datatype xsd:integer ] ] ;
  rml:predicateObjectMap [ rml:predicate <http://ex.org/ok> ;
      rml:objectMap [ rml:reference "ok" ; rml:datatype xsd:boolean ] ] .
"""
    rows = pd.DataFrame({"label": ["Pelto", "Field", "x"], "lang": ["fi", "EN", "not a tag"],
                         "count": [3.0, None, 5.0], "ok": [True, False, True]})
    out = "".join(execute(load_mapping(text), sources={"t": rows}))
    lines = out.splitlines()
    assert sum('"Pelto"@fi' in line for line in lines) == 1
    assert sum('"Field"@en' in line for line in lines) == 1
    assert not any('"x"' in line for line in lines)  # invalid language tag: no triple
    assert sum('"3"^^<http://www.w3.org/2001/XMLSchema#integer>' in line for line in lines) == 1
    assert sum('"false"^^<http://www.w3.org/2001/XMLSchema#boolean>' in line for line in lines) == 1
    subjects = {line.split(" ", 1)[0] for line in lines}
    assert len(subjects) == 3 and all(s.startswith("_:") for s in subjects)


def test_in_memory_name_without_table_is_input_error() -> None:
    mapping = load_mapping(NEW)
    with pytest.raises(InputError, match="no in-memory table named 'features'"):
        list(execute(mapping))
