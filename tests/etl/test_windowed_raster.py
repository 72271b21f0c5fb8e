"""Windowed polygonisation equals the whole-raster run (shapely comparison, independent of our merge)."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from eolink.errors import InputError
from eolink.etl.readers.raster import read_raster


@pytest.fixture(scope="module")
def class_raster(tmp_path_factory):
    rng = np.random.default_rng(7)
    # blocks of 3x3 pixels so that regions span several windows, plus a NoData hole
    data = rng.integers(0, 4, (14, 16)).repeat(3, 0).repeat(3, 1)[:40, :45].astype("uint8")
    data[5:9, 10:21] = 255
    path = tmp_path_factory.mktemp("win") / "classes.tif"
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype="uint8", crs="EPSG:32635", transform=from_origin(500000, 6700000, 10, 10),
                       nodata=255) as ds:
        ds.write(data, 1)
    return path, data


def _canon(frame):
    """Rows sorted by class, pixel count and bounds; geometries as normalized valid point sets."""
    b = shapely.bounds(frame.geometry.values)
    order = np.lexsort((b[:, 1], b[:, 0], frame["pixel_count"].to_numpy(), frame["class_code"].to_numpy()))
    frame = frame.iloc[order]
    geoms = shapely.normalize(shapely.simplify(shapely.make_valid(frame.geometry.values), 0))
    return frame, geoms


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("window", [3, 7, 16, 1000])
def test_windowed_equals_whole(class_raster, connectivity, window):
    path, data = class_raster
    whole = read_raster(path, product_type="crop-type-map", connectivity=connectivity).features
    windowed = read_raster(path, product_type="crop-type-map", connectivity=connectivity,
                           window_size=window).features
    assert len(windowed) == len(whole)
    w, wg = _canon(whole)
    v, vg = _canon(windowed)
    assert (w["class_code"].to_numpy() == v["class_code"].to_numpy()).all()
    assert (w["pixel_count"].to_numpy() == v["pixel_count"].to_numpy()).all()
    assert shapely.equals_exact(wg, vg).all()
    assert np.allclose(w["area_m2"].to_numpy(), v["area_m2"].to_numpy())
    # independent check: pixel counts per class equal a count of the raster's pixels
    for code in np.unique(data[data != 255]):
        assert windowed.loc[windowed["class_code"] == code, "pixel_count"].sum() == int((data == code).sum())
    assert windowed["id"].tolist() == [str(i) for i in range(len(windowed))]


def test_windowed_ignore_classes(class_raster):
    path, _ = class_raster
    whole = read_raster(path, product_type="change-mask", ignore_classes=(0,)).features
    windowed = read_raster(path, product_type="change-mask", ignore_classes=(0,), window_size=5).features
    assert 0 not in set(windowed["class_code"])
    assert sorted(whole["pixel_count"]) == sorted(windowed["pixel_count"])


def test_windowed_rejects_sieve_and_bad_size(class_raster):
    path, _ = class_raster
    with pytest.raises(InputError, match="min_pixels"):
        read_raster(path, product_type="crop-type-map", window_size=8, min_pixels=4)
    with pytest.raises(InputError, match="window_size"):
        read_raster(path, product_type="crop-type-map", window_size=0)
