"""Geometry functions against shapely/pyproj computed independently, one row at a time."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from lxml import etree
from pyproj import Transformer
from shapely import wkt as shapely_wkt
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, shape
from shapely.ops import transform as shapely_transform

from eolink.errors import CRSError
from eolink.etl.rml import functions as F
from eolink.etl.rml.vocabulary import EOLF, RRXF

GEOMS = [
    Point(500_000, 6_700_000),
    LineString([(0, 0), (3, 4), (6, 0)]),
    box(10, 10, 20, 30),
    Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(2, 2), (4, 2), (4, 4), (2, 4)]]),
    MultiPolygon([box(0, 0, 1, 1), box(2, 2, 4, 4)]),
    LineString([(0, 0), (2, 2), (0, 2), (2, 0)]),  # not simple
]


@pytest.fixture
def series() -> gpd.GeoSeries:
    return gpd.GeoSeries(GEOMS + [None], crs="EPSG:3067")


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (F.area, lambda g: g.area),
        (F.length, lambda g: g.length),
        (F.centroid_x, lambda g: g.centroid.x),
        (F.centroid_y, lambda g: g.centroid.y),
    ],
)
def test_measures(series: gpd.GeoSeries, fn, expected) -> None:
    result = fn(series, crs=series.crs)
    for value, geom in zip(result, GEOMS):
        assert value == pytest.approx(expected(geom))
    assert pd.isna(result.iloc[-1])


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (F.dimension, lambda g: {"Point": 0, "LineString": 1}.get(g.geom_type, 2)),
        (F.is_simple, lambda g: g.is_simple),
        (F.is_empty, lambda g: g.is_empty),
        (F.is_3d, lambda g: g.has_z),
        (F.coordinate_dimension, lambda g: 2),
    ],
)
def test_properties(series: gpd.GeoSeries, fn, expected) -> None:
    result = fn(series, crs=series.crs)
    assert [bool(v) if isinstance(v, (bool, np.bool_)) else int(v) for v in result[:-1]] == [
        expected(g) for g in GEOMS
    ]
    assert pd.isna(result.iloc[-1])


def test_as_wkt_with_projected_crs_has_prefix(series: gpd.GeoSeries) -> None:
    result = F.as_wkt(series, crs=series.crs)
    for text, geom in zip(result, GEOMS):
        prefix, _, body = text.partition("> ")
        assert prefix == "<http://www.opengis.net/def/crs/EPSG/0/3067"
        assert shapely_wkt.loads(body).equals_exact(geom, 0)
    assert pd.isna(result.iloc[-1])


@pytest.mark.parametrize("crs", ["EPSG:4326", "OGC:CRS84"])
def test_as_wkt_lonlat_has_no_prefix(crs: str) -> None:
    result = F.as_wkt(gpd.GeoSeries([Point(24.94, 60.17)], crs=crs), crs=crs)
    assert result.tolist() == ["POINT (24.94 60.17)"]


def test_as_wkt_accepts_wkt_strings() -> None:
    result = F.as_wkt(pd.Series(["POINT (1 2)", None]), crs=None)
    assert result.iloc[0] == "POINT (1 2)" and pd.isna(result.iloc[1])


def test_as_wkt_full_precision() -> None:
    x = 24.123456789012345
    text = F.as_wkt(pd.Series([Point(x, 60.0)]), crs="EPSG:4326").iloc[0]
    assert shapely_wkt.loads(text).x == x


def test_transform_matches_pyproj(series: gpd.GeoSeries) -> None:
    result = F.transform(series, "http://www.opengis.net/def/crs/EPSG/0/3857", crs=series.crs)
    project = Transformer.from_crs("EPSG:3067", "EPSG:3857", always_xy=True).transform
    for text, geom in zip(result, GEOMS):
        prefix, _, body = text.partition("> ")
        assert prefix == "<http://www.opengis.net/def/crs/EPSG/0/3857"
        assert shapely_wkt.loads(body).equals_exact(shapely_transform(project, geom), 1e-6)


def test_transform_to_wgs84_has_no_prefix() -> None:
    geom = Point(385_000, 6_672_000)
    text = F.transform(pd.Series([geom]), "EPSG:4326", crs="EPSG:3067").iloc[0]
    lon, lat = Transformer.from_crs("EPSG:3067", "EPSG:4326", always_xy=True).transform(geom.x, geom.y)
    assert not text.startswith("<")
    assert shapely_wkt.loads(text).equals_exact(Point(lon, lat), 1e-9)


def test_as_geojson_is_lonlat(series: gpd.GeoSeries) -> None:
    result = F.as_geojson(series, crs=series.crs)
    project = Transformer.from_crs("EPSG:3067", "OGC:CRS84", always_xy=True).transform
    for text, geom in zip(result, GEOMS):
        assert shape(json.loads(text)).equals_exact(shapely_transform(project, geom), 1e-9)
    assert pd.isna(result.iloc[-1])


def test_as_gml_round_trips_coordinates(series: gpd.GeoSeries) -> None:
    result = F.as_gml(series, crs=series.crs)
    ns = {"gml": "http://www.opengis.net/gml/3.2"}
    for text, geom in zip(result, GEOMS):
        root = etree.fromstring(text)
        assert root.get("srsName") == "http://www.opengis.net/def/crs/EPSG/0/3067"
        numbers = [float(v) for e in root.iterfind(".//gml:pos", ns) for v in e.text.split()]
        numbers += [float(v) for e in root.iterfind(".//gml:posList", ns) for v in e.text.split()]
        coords = np.concatenate([np.asarray(c).ravel() for c in _all_coords(geom)])
        assert sorted(numbers) == pytest.approx(sorted(coords.tolist()))


def _all_coords(geom):
    import shapely

    return [shapely.get_coordinates(geom)]


def test_unknown_crs_is_reported() -> None:
    with pytest.raises(CRSError):
        F.as_wkt(pd.Series([Point(0, 0)]), crs="+proj=ortho +lat_0=60 +lon_0=25")


@pytest.mark.parametrize("name", ["asWKT", "asGML", "area", "length", "centroidx", "centroidy", "dimension",
                                  "isSimple", "isEmpty", "is3D", "spatialDimension", "coordinateDimension"])
def test_geotriples_aliases_are_registered(name: str) -> None:
    assert F.get_function(RRXF[name]) is not None


def test_eolink_functions_are_registered() -> None:
    for name in ["asWKT", "asGML", "asGeoJSON", "area", "length", "centroidX", "centroidY", "dimension",
                 "isSimple", "isEmpty", "transform"]:
        assert F.get_function(EOLF[name]) is not None, name
