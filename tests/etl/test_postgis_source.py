"""PostGIS tables and SQL queries as sources: the reader, R2RML logical tables, RML queries, drafting.

A real PostgreSQL + PostGIS runs on 127.0.0.1 for the module. Expected values come
from PostGIS itself (ST_AsText, ST_SRID, counts), parsed with shapely/rdflib.
"""

from __future__ import annotations

import psycopg
import pytest
import rdflib
import shapely

from eolink.errors import CRSError, InputError, MappingError
from eolink.etl.rml import execute, load_mapping
from eolink.etl.rml.streaming import execute_streaming
from eolink.testing.postgis import postgis_available, temporary_postgis

pytestmark = pytest.mark.skipif(not postgis_available(), reason="PostgreSQL + PostGIS are not installed")

GEO = rdflib.Namespace("http://www.opengis.net/ont/geosparql#")


@pytest.fixture(scope="module")
def pg():
    with temporary_postgis() as server:
        with psycopg.connect(server.dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            conn.execute("CREATE TABLE parcels (gid integer PRIMARY KEY, name text, area double precision, "
                         "geom geometry(Polygon, 32635))")
            conn.execute("INSERT INTO parcels SELECT g, 'parcel ' || g, g * 1.5, "
                         "ST_MakeEnvelope(500000 + g * 10, 6700000, 500005 + g * 10, 6700005, 32635) "
                         "FROM generate_series(1, 25) g")
            conn.execute("CREATE TABLE nosrid (id integer PRIMARY KEY, geom geometry)")
            conn.execute("INSERT INTO nosrid VALUES (1, ST_GeomFromText('POINT(1 2)'))")
            conn.execute("CREATE TABLE people (id integer PRIMARY KEY, name text)")
            conn.execute("INSERT INTO people VALUES (1, 'Ann'), (2, 'Bob')")
        yield server


def _expected(pg, sql):
    with psycopg.connect(pg.dsn) as conn:
        return conn.execute(sql).fetchall()


def test_read_postgis_table_and_query(pg):
    from eolink.etl.readers.postgis import iter_postgis, read_postgis

    frame = read_postgis(pg.url, table="parcels")
    assert frame.crs.to_epsg() == 32635 and frame.geometry.name == "geom"
    expected = dict(_expected(pg, "SELECT gid, ST_AsText(geom) FROM parcels"))
    assert len(frame) == len(expected) == 25
    for gid, geom in zip(frame["gid"], frame.geometry.values):
        assert shapely.equals(geom, shapely.from_wkt(expected[gid]))
    sub = read_postgis(pg.dsn, query="SELECT gid, name FROM parcels WHERE gid <= 3 ORDER BY gid")
    assert sub["name"].tolist() == ["parcel 1", "parcel 2", "parcel 3"] and not hasattr(sub, "crs")
    chunks = list(iter_postgis(pg.dsn, table="parcels", chunk_rows=10))
    assert [len(c) for c in chunks] == [10, 10, 5]


def test_read_postgis_errors(pg):
    from eolink.etl.readers.postgis import read_postgis

    with pytest.raises(CRSError, match="no SRID"):
        read_postgis(pg.dsn, table="nosrid")
    assert read_postgis(pg.dsn, table="nosrid", crs="EPSG:4326").crs.to_epsg() == 4326
    with pytest.raises(InputError, match="does not exist"):
        read_postgis(pg.dsn, table="missing")
    with pytest.raises(InputError, match="no column 'nope'"):
        read_postgis(pg.dsn, table="parcels", geometry_column="nope")
    with pytest.raises(InputError):
        read_postgis(pg.dsn, table="parcels", query="SELECT 1")


R2RML = """
@prefix rr: <http://www.w3.org/ns/r2rml#> .
<#People> rr:logicalTable [ rr:tableName "people" ];
  rr:subjectMap [ rr:template "http://ex.org/person/{id}" ];
  rr:predicateObjectMap [ rr:predicate <http://ex.org/name>; rr:objectMap [ rr:column "name" ] ] .
<#Q> rr:logicalTable [ rr:sqlQuery "SELECT id, upper(name) AS shout FROM people" ];
  rr:subjectMap [ rr:template "http://ex.org/person/{id}" ];
  rr:predicateObjectMap [ rr:predicate <http://ex.org/shout>; rr:objectMap [ rr:column "shout" ] ] .
"""


def test_r2rml_logical_tables(pg):
    mapping = load_mapping(R2RML)
    graph = rdflib.Graph().parse(data="".join(execute(mapping, database=pg.url)), format="nt")
    names = {(str(s), str(o)) for s, o in graph.subject_objects(rdflib.URIRef("http://ex.org/name"))}
    assert names == {(f"http://ex.org/person/{i}", n) for i, n in _expected(pg, "SELECT id, name FROM people")}
    assert {str(o) for o in graph.objects(None, rdflib.URIRef("http://ex.org/shout"))} == {"ANN", "BOB"}
    with pytest.raises(MappingError, match="no in-memory table named 'people'"):
        "".join(execute(mapping))


def test_rml_query_over_d2rq_database(pg):
    text = f"""
@prefix rml: <http://w3id.org/rml/> .
@prefix d2rq: <http://www.wiwiss.fu-berlin.de/suhl/bizer/D2RQ/0.1#> .
@prefix eolf: <https://w3id.org/eolink/functions#> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
<#DB> a d2rq:Database; d2rq:jdbcDSN "jdbc:postgresql://{pg.host}:{pg.port}/{pg.database}"; d2rq:username "{pg.user}" .
<#G> rml:logicalSource [ rml:source <#DB>; rml:query "SELECT gid, geom FROM parcels WHERE gid > 20" ];
  rml:subjectMap [ rml:template "http://ex.org/geometry/{{gid}}" ];
  rml:predicateObjectMap [ rml:predicate geo:asWKT;
    rml:objectMap [ rml:datatype geo:wktLiteral; rml:functionExecution [ rml:function eolf:asWKT;
      rml:input [ rml:parameter eolf:geometry; rml:inputValueMap [ rml:reference "geom" ] ] ] ] ] .
"""
    mapping = load_mapping(text)
    for blocks in (execute(mapping), execute_streaming(mapping, chunk_rows=2)):
        graph = rdflib.Graph().parse(data="".join(blocks), format="nt")
        got = {str(s): str(o) for s, o in graph.subject_objects(GEO.asWKT)}
        expected = dict(_expected(pg, "SELECT gid, ST_AsText(geom) FROM parcels WHERE gid > 20"))
        assert set(got) == {f"http://ex.org/geometry/{g}" for g in expected}
        for gid, wkt in expected.items():
            literal = got[f"http://ex.org/geometry/{gid}"]
            assert literal.startswith("<http://www.opengis.net/def/crs/EPSG/0/32635> ")
            assert shapely.equals(shapely.from_wkt(literal.split("> ", 1)[1]), shapely.from_wkt(wkt))


def test_query_source_errors(pg):
    bad = load_mapping(f"""
@prefix rml: <http://w3id.org/rml/> .
<#T> rml:logicalSource [ rml:source "{pg.url}"; rml:query "SELECT nope FROM parcels" ];
  rml:subjectMap [ rml:template "http://ex.org/{{nope}}" ] .
""")
    with pytest.raises(InputError, match="TriplesMap <#T>: query failed"):
        "".join(execute(bad))


def test_draft_postgis_table(pg, tmp_path):
    from eolink.etl.draft import draft_mapping

    text = draft_mapping(pg.url, table="parcels", mapping_dir=tmp_path)
    mapping = load_mapping(text)
    graph = rdflib.Graph().parse(data="".join(execute(mapping)), format="nt")
    features = set(graph.subjects(rdflib.RDF.type, GEO.Feature))
    assert len(features) == 25
    for gid, wkt in _expected(pg, "SELECT gid, ST_AsText(geom) FROM parcels"):
        geometry = graph.value(rdflib.URIRef(f"https://example.org/parcels/parcels/{gid}"), GEO.hasGeometry)
        literal = str(graph.value(geometry, GEO.asWKT))
        assert shapely.equals(shapely.from_wkt(literal.split("> ", 1)[1]), shapely.from_wkt(wkt))
    area = graph.value(rdflib.URIRef("https://example.org/parcels/parcels/2"),
                       rdflib.URIRef("https://example.org/parcels/vocab#area"))
    assert area.datatype == rdflib.XSD.double and float(area) == 3.0
