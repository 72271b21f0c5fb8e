"""Vector-file and SQL logical sources: parsing and the errors that need no database."""

from __future__ import annotations

import geopandas as gpd
import pytest
import rdflib
import shapely
from shapely.geometry import Point

from eolink.errors import InputError, MappingError
from eolink.etl.rml import execute, load_mapping

PREFIXES = """@prefix rml: <http://w3id.org/rml/> .
@prefix rr: <http://www.w3.org/ns/r2rml#> .
@prefix eolr: <https://w3id.org/eolink/rml#> .
@prefix d2rq: <http://www.wiwiss.fu-berlin.de/suhl/bizer/D2RQ/0.1#> .
"""


def test_vector_source_by_suffix_and_layer(tmp_path):
    gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[Point(1, 2), Point(3, 4)], crs=4326).to_file(
        tmp_path / "p.gpkg", layer="pois")
    gpd.GeoDataFrame({"name": ["c"]}, geometry=[Point(5, 6)], crs=4326).to_file(tmp_path / "p.gpkg", layer="other")
    mapping = load_mapping(PREFIXES + """
<#P> rml:logicalSource [ rml:source "p.gpkg"; rml:iterator "other" ];
  rml:subjectMap [ rml:template "http://ex.org/{id}" ];
  rml:predicateObjectMap [ rml:predicate <http://ex.org/wkt>; rml:objectMap [ rml:reference "geometry" ] ],
    [ rml:predicate <http://ex.org/name>; rml:objectMap [ rml:reference "name" ] ] .
""", base_dir=tmp_path)
    graph = rdflib.Graph().parse(data="".join(execute(mapping)), format="nt")
    assert str(graph.value(rdflib.URIRef("http://ex.org/0"), rdflib.URIRef("http://ex.org/name"))) == "c"
    wkt = str(graph.value(rdflib.URIRef("http://ex.org/0"), rdflib.URIRef("http://ex.org/wkt")))
    assert shapely.equals(shapely.from_wkt(wkt), Point(5, 6))


def test_unknown_reference_in_vector_source(tmp_path):
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(1, 2)], crs=4326).to_file(tmp_path / "p.fgb")
    mapping = load_mapping(PREFIXES + """
<#P> rml:logicalSource [ rml:source "p.fgb"; rml:referenceFormulation eolr:Features ];
  rml:subjectMap [ rml:template "http://ex.org/{id}" ];
  rml:predicateObjectMap [ rml:predicate <http://ex.org/n>; rml:objectMap [ rml:reference "nmae" ] ] .
""", base_dir=tmp_path)
    with pytest.raises(MappingError, match=r"TriplesMap <#P>: reference 'nmae' is not a column of source 'p.fgb'"):
        "".join(execute(mapping))


def test_corrupt_vector_source_names_the_map(tmp_path):
    (tmp_path / "bad.gpkg").write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)
    mapping = load_mapping(PREFIXES + """
<#Bad> rml:logicalSource [ rml:source "bad.gpkg" ]; rml:subjectMap [ rml:template "http://ex.org/{id}" ] .
""", base_dir=tmp_path)
    with pytest.raises(InputError, match=r"TriplesMap <#Bad>: bad.gpkg"):
        "".join(execute(mapping))


def test_sql_sources_parse_and_need_a_database():
    mapping = load_mapping(PREFIXES + """
<#T> rr:logicalTable [ rr:sqlQuery "SELECT 1 AS id" ]; rr:subjectMap [ rr:template "http://ex.org/{id}" ] .
""")
    source = mapping.triples_maps[0].logical_source
    assert (source.formulation, source.iterator) == ("SQL", "SELECT 1 AS id")
    with pytest.raises(MappingError, match="no database"):
        "".join(execute(mapping))
    db = load_mapping(PREFIXES + """
<#DB> a d2rq:Database; d2rq:jdbcDSN "jdbc:postgresql://127.0.0.1:5432/gis"; d2rq:username "me";
  d2rq:password "secret" .
<#T> rml:logicalSource [ rml:source <#DB>; rr:tableName "public.roads" ];
  rml:subjectMap [ rml:template "http://ex.org/{id}" ] .
""")
    source = db.triples_maps[0].logical_source
    assert source.source == "postgresql://me:secret@127.0.0.1:5432/gis"
    assert source.iterator == 'SELECT * FROM "public"."roads"'


@pytest.mark.parametrize("body,message", [
    ('<#T> rml:logicalSource [ rml:source <#DB> ]; rml:subjectMap [ rml:template "x{id}" ] .\n'
     '<#DB> a d2rq:Database; d2rq:jdbcDSN "jdbc:postgresql://h/db" .', "needs rml:query"),
    ('<#T> rml:logicalSource [ rml:source <#DB>; rml:query "SELECT 1" ]; rml:subjectMap [ rml:template "x{id}" ] .\n'
     '<#DB> a d2rq:Database .', "without d2rq:jdbcDSN"),
    ('<#T> rml:logicalSource [ rml:source "data.csv"; rml:query "SELECT 1" ]; rml:subjectMap [ rml:template "x" ] .',
     "needs a database source"),
    ('<#T> rr:logicalTable [ ]; rr:subjectMap [ rr:template "x{id}" ] .', "neither rr:tableName nor rr:sqlQuery"),
])
def test_malformed_sql_sources(body, message):
    with pytest.raises(MappingError, match=rf"TriplesMap <#T>: .*{message}"):
        load_mapping(PREFIXES + body)
