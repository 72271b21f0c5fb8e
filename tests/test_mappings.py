"""The shipped RML mappings, run by the RML engine over hand-built feature tables.

Expected counts are computed from the input tables here, not from the mapping.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import geopandas as gpd
import pandas as pd
import pytest
import rdflib
import shapely
from rdflib import RDF, Namespace, URIRef
from shapely.geometry import LineString, Point, box

from eolink.etl.table import ProductRecord
from eolink.mappings import MAPPINGS, mapping_path, mapping_sources
from eolink.ontology import CODELIST, CRS84, EOL, RESOURCE
from eolink.ontology.validate import validate

# Only the engine may be missing (it is written in parallel); everything else must import.
rml = pytest.importorskip("eolink.etl.rml", reason="RML engine (eolink.etl.rml) not available yet")

EOLNS = Namespace(EOL)
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
DCT = Namespace("http://purl.org/dc/terms/")
PROV = Namespace("http://www.w3.org/ns/prov#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")

T0 = datetime(2021, 5, 1, tzinfo=timezone.utc)
T1 = datetime(2021, 6, 1, 12, 30, tzinfo=timezone.utc)
S2 = ["S2B_MSIL2A_20190617T104029_N0212_R008_T31UFU_20190617T131553",
      "S2A_MSIL2A_20190615T105031_N0212_R051_T31UFU_20190615T121337"]
S1 = "S1A_IW_GRDH_1SDV_20210101T052338_20210101T052403_035956_043694_ABCD"


def utm_boxes(n: int = 3) -> list:
    return [box(380000 + 50 * i, 6670000, 380020 + 50 * i, 6670000 + 10 * (i + 2)) for i in range(n)]


def run(ptype: str, features: gpd.GeoDataFrame, record: ProductRecord) -> tuple[str, rdflib.Dataset]:
    mapping = rml.load_mapping(mapping_path(ptype))
    text = "".join(rml.execute(mapping, sources=mapping_sources(features, record.as_row())))
    ds = rdflib.Dataset()
    ds.parse(data=text, format="nquads")
    return text, ds


def union(ds: rdflib.Dataset) -> rdflib.Graph:
    g = rdflib.Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


def check_geometries(g: rdflib.Graph, features: gpd.GeoDataFrame, geometry_iri) -> None:
    """One geo:asWKT per row, each parsing back to the input geometry with the right CRS prefix."""
    wkts = list(g.subject_objects(GEO.asWKT))
    assert len(wkts) == len(features)
    epsg = features.crs.to_epsg()
    by_iri = {str(s): str(o) for s, o in wkts}
    for _, row in features.iterrows():
        literal = by_iri[geometry_iri(row)]
        if epsg == 4326:
            assert not literal.startswith("<")  # CRS84 (lon/lat): no prefix
            body = literal
        else:
            prefix = f"<http://www.opengis.net/def/crs/EPSG/0/{epsg}> "
            assert literal.startswith(prefix), literal
            body = literal[len(prefix):]
        assert shapely.equals(shapely.from_wkt(body), row.geometry), (body, row.geometry.wkt)
    for _, o in wkts:
        assert o.datatype == GEO.wktLiteral


def check_common(ds: rdflib.Dataset, record: ProductRecord, cls: str, features: gpd.GeoDataFrame,
                 feature_iri, n_features: int | None = None) -> rdflib.Graph:
    product = URIRef(record.iri)
    # every triple is in the product's named graph
    graphs = {c.identifier for c in ds.contexts() if len(c)}
    assert graphs == {product}
    g = union(ds)
    assert (product, RDF.type, EOLNS[cls]) in g and (product, RDF.type, DCAT.Dataset) in g
    assert str(g.value(product, DCT.identifier)) == record.product_id
    assert str(g.value(product, DCT.title)) == record.title
    assert g.value(product, EOLNS.synthetic).toPython() is record.synthetic
    n = len(features) if n_features is None else n_features
    assert len(set(g.subjects(EOLNS.inProduct, product))) == n
    assert len(list(g.triples((None, GEO.hasDefaultGeometry, None)))) == n
    for _, row in features.iterrows():
        f = URIRef(feature_iri(row))
        assert (f, RDF.type, GEO.Feature) in g
        assert (f, EOLNS.inProduct, product) in g
        assert g.value(f, GEO.hasDefaultGeometry) == g.value(f, GEO.hasGeometry)
    return g


def assert_conforms(text: str) -> None:
    result = validate(text)
    assert result.conforms, result.messages


def feature_iri(record):
    return lambda row: f"{RESOURCE}feature/{record.product_id}/{row['id']}"


def geometry_iri(record):
    return lambda row: f"{RESOURCE}geometry/{record.product_id}/{row['id']}"


# ---------------------------------------------------------------- per product type
@pytest.mark.parametrize("ptype,cls,fcls,prop,scheme", [
    ("change-mask", "ChangeMask", "ChangeArea", "changeClass", "change-class"),
    ("crop-type-map", "CropTypeMap", "CropField", "cropType", "crop-type"),
])
def test_raster_products(ptype, cls, fcls, prop, scheme):
    features = gpd.GeoDataFrame(
        {"id": ["1", "2", "3"], "class_code": [0, 2, 1], "pixel_count": [4, 2, 6], "area_m2": [400.0, 200.0, 600.0]},
        geometry=utm_boxes(), crs="EPSG:32635")
    record = ProductRecord(product_id=f"{ptype}-demo", product_type=ptype, title=f"Demo {ptype}", time_start=T0,
                           time_end=T1, scenes=S2, synthetic=True, crs_epsg=32635, resolution_m=10.0,
                           source_file="demo.tif", file_format="GTiff")
    text, ds = run(ptype, features, record)
    g = check_common(ds, record, cls, features, feature_iri(record))
    check_geometries(g, features, geometry_iri(record))
    product = URIRef(record.iri)
    for _, row in features.iterrows():
        f = URIRef(feature_iri(record)(row))
        assert (f, RDF.type, EOLNS[fcls]) in g
        assert g.value(f, EOLNS.classCode).toPython() == row.class_code
        assert g.value(f, EOLNS.pixelCount).toPython() == row.pixel_count
        assert g.value(f, EOLNS.areaM2).toPython() == pytest.approx(row.area_m2)
        assert g.value(f, EOLNS[prop]) == URIRef(f"{CODELIST}{scheme}/{row.class_code}")
    # lineage and time
    derived = {str(o) for o in g.objects(product, PROV.wasDerivedFrom)}
    assert derived == {f"{RESOURCE}scene/{s}" for s in S2}
    activity = g.value(product, PROV.wasGeneratedBy)
    assert (activity, RDF.type, EOLNS.ProcessingActivity) in g
    assert g.value(product, EOLNS.timeStart).toPython() == T0
    period = g.value(product, DCT.temporal)
    assert isinstance(period, rdflib.BNode)
    assert g.value(period, DCAT.endDate).toPython() == T1
    assert str(g.value(product, EOLNS.crs)) == "http://www.opengis.net/def/crs/EPSG/0/32635"
    assert_conforms(text)


def test_product_without_times_or_scenes():
    features = gpd.GeoDataFrame({"id": ["a"], "class_code": [3], "pixel_count": [1], "area_m2": [100.0]},
                                geometry=utm_boxes(1), crs="EPSG:32635")
    record = ProductRecord(product_id="bare", product_type="crop-type-map", title="Bare")
    text, ds = run("crop-type-map", features, record)
    g = union(ds)
    product = URIRef(record.iri)
    assert g.value(product, DCT.temporal) is None and g.value(product, EOLNS.timeStart) is None
    assert g.value(product, PROV.wasDerivedFrom) is None
    assert g.value(product, EOLNS.synthetic).toPython() is False
    result = validate(text)
    assert result.conforms and result.warnings == 1  # no source scene: a warning only


def test_sea_ice_chart():
    codes = {
        "POLY_TYPE": ["I", "W", "I"], "CT": ["92", None, "57"], "CA": ["60", None, "30"], "SA": ["93", None, "87"],
        "FA": ["08", None, "04"], "CB": ["30", None, None], "SB": ["91", None, None], "FB": ["05", None, None],
        "CC": [None, None, None], "SC": [None, None, None], "FC": [None, None, None], "CN": ["95", None, None],
        "CD": [None, None, "81"], "CF_PRED": ["04", None, None], "CF_SEC": ["05", None, None],
    }
    features = gpd.GeoDataFrame(
        {"id": ["0", "1", "2"], **codes, "raw_egg_code": ["CT=92 CA=60 SA=93 FA=08", "POLY_TYPE=W", "CT=57 CA=30 SA=87 FA=04 SB=9-"],
         "area_m2": [1e6, 2e6, 3e6]},
        geometry=utm_boxes(), crs="EPSG:32635")
    record = ProductRecord(product_id="ice-20210104", product_type="sea-ice-chart", title="Ice chart",
                           time_start=T0, time_end=T0.replace(hour=23, minute=59, second=59), synthetic=True,
                           crs_epsg=32635, source_file="cis_SGRDREA_20210104_pl_a.shp", file_format="ESRI Shapefile")
    text, ds = run("sea-ice-chart", features, record)
    g = check_common(ds, record, "SeaIceChart", features, feature_iri(record))
    check_geometries(g, features, geometry_iri(record))
    props = {"POLY_TYPE": ("polygonType", "poly-type"), "CT": ("totalConcentration", "ice-concentration"),
             "CA": ("concentrationA", "ice-concentration"), "CB": ("concentrationB", "ice-concentration"),
             "CC": ("concentrationC", "ice-concentration"), "SA": ("stageOfDevelopmentA", "ice-stage"),
             "SB": ("stageOfDevelopmentB", "ice-stage"), "SC": ("stageOfDevelopmentC", "ice-stage"),
             "CN": ("traceStage", "ice-stage"), "CD": ("remainingStage", "ice-stage"),
             "FA": ("formOfIceA", "ice-form"), "FB": ("formOfIceB", "ice-form"), "FC": ("formOfIceC", "ice-form"),
             "CF_PRED": ("predominantForm", "ice-form"), "CF_SEC": ("secondaryForm", "ice-form")}
    for column, (prop, scheme) in props.items():
        values = features[column]
        assert len(list(g.triples((None, EOLNS[prop], None)))) == values.notna().sum(), prop
        for fid, value in zip(features["id"], values):
            obj = g.value(URIRef(f"{RESOURCE}feature/{record.product_id}/{fid}"), EOLNS[prop])
            assert obj == (None if pd.isna(value) else URIRef(f"{CODELIST}{scheme}/{value}")), (prop, fid)
    assert str(g.value(URIRef(f"{RESOURCE}feature/{record.product_id}/2"), EOLNS.rawEggCode)).endswith("SB=9-")
    assert_conforms(text)


def test_osm_extract():
    tags = [{"building": "yes", "name": "Vanha kauppahalli"}, {"highway": "primary"}, {"amenity": "cafe"}]
    features = gpd.GeoDataFrame(
        {"id": ["way-10", "way-11", "node-12"], "osm_id": [10, 11, 12], "osm_type": ["way", "way", "node"],
         "feature_type": ["building", "highway", "amenity"], "name": ["Vanha kauppahalli", None, "Café Ursula"],
         "tags": [json.dumps(t) for t in tags]},
        geometry=[box(24.95, 60.166, 24.951, 60.167), LineString([(24.94, 60.17), (24.945, 60.171)]), Point(24.955, 60.159)],
        crs="EPSG:4326")
    record = ProductRecord(product_id="helsinki-osm", product_type="osm-extract", title="Helsinki", crs_epsg=4326,
                           source_file="Helsinki.osm.pbf", file_format="OSM")
    text, ds = run("osm-extract", features, record)
    osm_iri = lambda row: f"https://www.openstreetmap.org/{row['osm_type']}/{row['osm_id']}"  # noqa: E731
    g = check_common(ds, record, "OSMExtract", features, osm_iri)
    check_geometries(g, features, lambda row: f"{RESOURCE}geometry/{record.product_id}/{row['id']}")
    for _, row in features.iterrows():
        f = URIRef(osm_iri(row))
        assert g.value(f, EOLNS.osmId).toPython() == row.osm_id
        assert str(g.value(f, EOLNS.osmType)) == row.osm_type
        assert g.value(f, EOLNS.featureType) == URIRef(f"{CODELIST}osm-feature-type/{row.feature_type}")
        label = g.value(f, rdflib.RDFS.label)
        assert (None if label is None else str(label)) == (None if pd.isna(row["name"]) else row["name"])
        assert json.loads(str(g.value(f, EOLNS.osmTags))) == json.loads(row.tags)
    assert_conforms(text)


def test_scene_catalogue():
    features = gpd.GeoDataFrame(
        {"id": [S2[0], S2[1], S1], "mission": ["S2B", "S2A", "S1A"], "platform": ["Sentinel-2", "Sentinel-2", "Sentinel-1"],
         "instrument_mode": ["MSI", "MSI", "IW"], "product_type": ["MSIL2A", "MSIL2A", "GRDH"],
         "processing_level": ["LEVEL2A", "LEVEL2A", "LEVEL1"],
         "sensing_start": ["2019-06-17T10:40:29Z", "2019-06-15T10:50:31Z", "2021-01-01T05:23:38Z"],
         "sensing_end": [None, None, "2021-01-01T05:24:03Z"],
         "relative_orbit": [8, 51, 29], "absolute_orbit": [None, None, 35956],
         "mgrs_tile": ["31UFU", "31UFU", None], "cloud_cover": [12.5, None, None],
         "polarisation": [None, None, "DV"], "processing_baseline": ["0212", "0212", None]},
        geometry=[box(4.5, 51.3, 6.1, 52.3), box(4.5, 51.3, 6.1, 52.3), box(24.0, 59.5, 28.0, 61.5)], crs="EPSG:4326")
    features["absolute_orbit"] = features["absolute_orbit"].astype("Int64")
    record = ProductRecord(product_id="catalogue", product_type="scene-catalogue", title="Scenes", crs_epsg=4326,
                           time_start=datetime(2019, 6, 15, tzinfo=timezone.utc), time_end=T1)
    text, ds = run("scene-catalogue", features, record)
    scene_iri = lambda row: f"{RESOURCE}scene/{row['id']}"  # noqa: E731
    g = check_common(ds, record, "SceneCatalogue", features, scene_iri)
    check_geometries(g, features, lambda row: f"{RESOURCE}geometry/scene/{row['id']}")
    expected_class = {"Sentinel-2": EOLNS.Sentinel2Scene, "Sentinel-1": EOLNS.Sentinel1Scene}
    for _, row in features.iterrows():
        s = URIRef(scene_iri(row))
        assert (s, RDF.type, expected_class[row.platform]) in g
        assert (s, RDF.type, EOLNS.Scene) in g
        other = ({EOLNS.Sentinel1Scene, EOLNS.Sentinel2Scene} - {expected_class[row.platform]}).pop()
        assert (s, RDF.type, other) not in g
        assert str(g.value(s, DCT.identifier)) == row.id
        assert g.value(s, EOLNS.relativeOrbit).toPython() == row.relative_orbit
        assert g.value(s, EOLNS.sensingStart).toPython().isoformat().startswith(row.sensing_start[:19])
    s1 = URIRef(f"{RESOURCE}scene/{S1}")
    assert g.value(s1, EOLNS.absoluteOrbit).toPython() == 35956
    assert str(g.value(s1, EOLNS.polarisation)) == "DV"
    assert g.value(URIRef(f"{RESOURCE}scene/{S2[0]}"), EOLNS.cloudCover).toPython() == 12.5
    assert g.value(URIRef(f"{RESOURCE}scene/{S2[1]}"), EOLNS.cloudCover) is None
    assert_conforms(text)


def test_every_product_type_has_a_mapping():
    from eolink.etl.table import PRODUCT_TYPES

    assert set(MAPPINGS) == set(PRODUCT_TYPES)
    for ptype in PRODUCT_TYPES:
        assert mapping_path(ptype).is_file()


def test_crs84_default_has_no_prefix():
    assert CRS84.endswith("CRS84")  # the OSM and scene tests check unprefixed WKT for EPSG:4326 lon/lat data


def test_osm_reader_feature_types_are_concepts():
    osm = pytest.importorskip("eolink.etl.readers.osm")
    g = rdflib.Graph().parse(mapping_path("osm-extract").parents[1] / "ontology" / "codelists" / "osm-feature-type.ttl")
    notations = {str(o) for o in g.objects(None, rdflib.SKOS.notation)}
    assert set(osm.FEATURE_TYPES) <= notations
