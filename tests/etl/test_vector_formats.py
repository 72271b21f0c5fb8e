"""KML, GML and lon/lat CSV through the vector reader; chunked reading equals whole reading."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from eolink.errors import CRSError, InputError
from eolink.etl.readers.vector import feature_count, iter_features, list_layers, read_features


@pytest.fixture
def frame():
    return gpd.GeoDataFrame({"name": ["a", "b", "c"], "height": [1, 2, 3]},
                            geometry=[box(24, 60, 24.1, 60.1), Point(25, 61), LineString([(24, 60), (25, 61)])],
                            crs=4326)


@pytest.mark.parametrize("suffix,driver", [("kml", "KML"), ("gml", "GML")])
def test_kml_gml(tmp_path, frame, suffix, driver):
    path = tmp_path / f"f.{suffix}"
    frame.to_file(path, driver=driver)
    before = set(p.name for p in tmp_path.iterdir())
    got = read_features(path)
    assert set(p.name for p in tmp_path.iterdir()) == before  # no .gfs written beside a GML file
    assert len(got) == 3 and got.crs.to_epsg() == 4326
    assert shapely.equals(got.geometry.values, frame.geometry.values).all()
    assert got[[c for c in got.columns if c.lower() == "name"][0]].tolist() == ["a", "b", "c"]
    assert list_layers(path) and feature_count(path) == 3


def test_kml_multi_layer(tmp_path, frame):
    path = tmp_path / "two.kml"
    frame.iloc[:2].to_file(path, driver="LIBKML", layer="first")
    frame.iloc[2:].to_file(path, driver="LIBKML", layer="second", mode="a")
    assert list_layers(path) == ["first", "second"]
    assert len(read_features(path, layer="second")) == 1


def test_csv_lonlat(tmp_path):
    path = tmp_path / "stations.csv"
    pd.DataFrame({"name": ["x", "y"], "Longitude": [24.9, 25.1], "Latitude": [60.2, 60.3]}).to_csv(path, index=False)
    got = read_features(path)
    assert got.crs.to_epsg() == 4326
    assert shapely.equals(got.geometry.values, shapely.points([[24.9, 60.2], [25.1, 60.3]])).all()
    assert "Longitude" not in got.columns and got["name"].tolist() == ["x", "y"]
    # an explicit CRS wins (projected x/y columns)
    path2 = tmp_path / "xy.csv"
    pd.DataFrame({"x": [500000.0], "y": [6700000.0]}).to_csv(path2, index=False)
    assert read_features(path2, crs="EPSG:32635").crs.to_epsg() == 32635


def test_csv_without_geometry_columns(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="longitude/latitude"):
        read_features(path)


def test_csv_wkt_without_crs(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text('id,WKT\n1,"POINT (1 2)"\n')
    with pytest.raises(CRSError):
        read_features(path)


def test_corrupt_kml(tmp_path):
    path = tmp_path / "bad.kml"
    path.write_text("<kml><Document><Placemark><Point><coordinates>1,2")
    with pytest.raises(InputError, match="bad.kml"):
        read_features(path)


@pytest.mark.parametrize("suffix", ["gpkg", "fgb", "csv", "parquet"])
def test_iter_features_equals_read(tmp_path, suffix):
    rng = np.random.default_rng(3)
    n = 57
    frame = gpd.GeoDataFrame({"v": rng.integers(0, 100, n)}, geometry=shapely.points(rng.random((n, 2))), crs=4326)
    path = tmp_path / f"p.{suffix}"
    if suffix == "csv":
        pd.DataFrame({"v": frame["v"], "lon": frame.geometry.x, "lat": frame.geometry.y}).to_csv(path, index=False)
    elif suffix == "parquet":
        frame.to_parquet(path)
    else:
        frame.to_file(path)
    whole = read_features(path)
    chunks = list(iter_features(path, chunk_rows=10))
    assert [len(c) for c in chunks] == [10] * 5 + [7]
    joined = pd.concat(chunks, ignore_index=True)
    assert joined["id"].tolist() == whole["id"].tolist() == [str(i) for i in range(n)]
    assert all(c.crs == whole.crs for c in chunks)
    assert shapely.equals(np.asarray(joined.geometry.values), np.asarray(whole.geometry.values)).all()
    assert joined["v"].astype(str).tolist() == whole["v"].astype(str).tolist()
    part = list(iter_features(path, chunk_rows=4, start=20, stop=30))
    assert pd.concat(part)["id"].tolist() == [str(i) for i in range(20, 30)]
