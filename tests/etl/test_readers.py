"""Readers against independent computations (rasterio, numpy, pyrosm, pyproj) and against bad input."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
from affine import Affine
from rasterio.features import shapes
from shapely.geometry import Polygon, box

from eolink.errors import CRSError, GeometryError, InputError
from eolink.etl.readers import detect_product_type, read_product
from eolink.etl.readers.osm import FEATURE_TYPES, read_osm
from eolink.etl.readers.raster import read_raster
from eolink.etl.readers.scenes import SCENE_COLUMNS, parse_product_name, read_scene_catalogue
from eolink.etl.readers.sigrid3 import decode_codes, read_sigrid3
from eolink.etl.readers.vector import read_vector
from eolink.samples import CHANGE_SCENES, DemoWorld, demo_world_paths

pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

RASTER_COLUMNS = ["id", "class_code", "pixel_count", "area_m2", "geometry"]
ICE_COLUMNS = ["id", "POLY_TYPE", "CT", "CA", "SA", "FA", "CB", "SB", "FB", "CC", "SC", "FC", "CN", "CD",
               "CF_PRED", "CF_SEC", "raw_egg_code", "area_m2", "geometry"]
OSM_COLUMNS = ["id", "osm_id", "osm_type", "feature_type", "name", "tags", "geometry"]


@pytest.fixture(scope="module")
def world(demo_dir: Path) -> DemoWorld:
    return demo_world_paths(demo_dir)


def _write_raster(path: Path, data: np.ndarray, *, crs: str | None = "EPSG:32635", nodata: float | None = 255,
                  transform: Affine | None = None, tags: dict[str, str] | None = None) -> Path:
    bands = data if data.ndim == 3 else data[None]
    profile = {"driver": "GTiff", "width": bands.shape[2], "height": bands.shape[1], "count": bands.shape[0],
               "dtype": bands.dtype.name, "transform": transform or Affine(10, 0, 380000, 0, -10, 6670000),
               "nodata": nodata}
    if crs is not None:
        profile["crs"] = crs
    with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(path, "w", **profile) as dst:
        dst.write(bands)
        if tags:
            dst.update_tags(**tags)
    return path


# ----------------------------------------------------------------------------- raster


@pytest.mark.parametrize("attr", ["change_mask", "crop_map"])
@pytest.mark.parametrize("connectivity", [4, 8])
def test_raster_matches_independent_shapes_and_numpy(world: DemoWorld, attr: str, connectivity: int) -> None:
    path = getattr(world, attr)
    table = read_raster(path, connectivity=connectivity)
    with rasterio.open(path) as ds:
        data = ds.read(1)
        transform = ds.transform
    independent = Counter(int(v) for _, v in shapes(data, mask=data != 255, connectivity=connectivity,
                                                    transform=transform))
    frame = table.features
    assert list(frame.columns) == RASTER_COLUMNS
    assert Counter(frame.class_code.tolist()) == independent
    values, counts = np.unique(data[data != 255], return_counts=True)
    per_class = frame.groupby("class_code").pixel_count.sum()
    assert per_class.to_dict() == dict(zip(values.tolist(), counts.tolist()))
    np.testing.assert_allclose(frame.area_m2, frame.pixel_count * 100.0)
    np.testing.assert_allclose(frame.geometry.area, frame.area_m2)
    assert frame.id.tolist() == [str(i) for i in range(len(frame))]
    assert frame.crs.to_epsg() == 32635
    assert 255 not in set(frame.class_code)


def test_raster_product_record(world: DemoWorld) -> None:
    table = read_raster(world.change_mask)
    record = table.product
    assert record.product_type == "change-mask"
    assert record.scenes == list(CHANGE_SCENES)
    assert record.synthetic is True
    assert record.crs_epsg == 32635 and record.resolution_m == 10.0
    assert record.time_start.isoformat() == "2021-06-12T09:50:31+00:00"
    assert record.time_end.isoformat() == "2021-08-21T09:50:31+00:00"
    assert record.extra["method"] == "CVA" and record.extra["confidence"] == 99.99 and record.extra["n_classes"] == 4
    assert record.file_format == "GTiff"
    row = record.as_row()
    assert row["time_start"] == "2021-06-12T09:50:31Z" and row["synthetic"] == "true"


def test_raster_deterministic_ids(world: DemoWorld) -> None:
    a = read_raster(world.crop_map).features
    b = read_raster(world.crop_map).features
    assert a.id.tolist() == b.id.tolist()
    assert a.geometry.geom_equals_exact(b.geometry, 0).all()


def test_raster_sieve_simplify_ignore(world: DemoWorld) -> None:
    full = read_raster(world.change_mask).features
    sieved = read_raster(world.change_mask, min_pixels=50).features
    assert len(sieved) < len(full)
    assert sieved.pixel_count.sum() == full.pixel_count.sum()  # sieving merges, never deletes, pixels
    simple = read_raster(world.crop_map, simplify_tolerance=15.0).features
    plain = read_raster(world.crop_map).features
    assert simple.pixel_count.tolist() == plain.pixel_count.tolist()
    assert simple.geometry.count_coordinates().sum() <= plain.geometry.count_coordinates().sum()
    no_zero = read_raster(world.change_mask, ignore_classes=(0,)).features
    assert 0 not in set(no_zero.class_code) and len(no_zero) == int((full.class_code != 0).sum())


def test_raster_geographic_area_is_geodesic(tmp_path: Path) -> None:
    data = np.full((4, 6), 255, dtype=np.uint8)
    data[1:3, 1:5] = 7
    res = 0.001
    path = _write_raster(tmp_path / "geo.tif", data, crs="EPSG:4326", transform=Affine(res, 0, 24.9, 0, -res, 60.2),
                         tags={"EOLINK_PRODUCT_TYPE": "crop-type-map"})
    table = read_raster(path)
    (row,) = table.features.itertuples()
    assert row.pixel_count == 8
    lat = 60.2 - 2 * res  # centre of the region
    # independent estimate from the WGS84 radii of curvature: M dphi x N cos(phi) dlambda per cell
    a, e2, phi = 6378137.0, 0.00669437999014, np.radians(lat)
    w = 1 - e2 * np.sin(phi) ** 2
    m_radius, n_radius = a * (1 - e2) / w**1.5, a / w**0.5
    estimate = 8 * (m_radius * np.radians(res)) * (n_radius * np.cos(phi) * np.radians(res))
    assert row.area_m2 == pytest.approx(estimate, rel=1e-4)
    assert table.product.resolution_m is None and table.product.crs_epsg == 4326


def test_raster_without_tag_needs_product_type(tmp_path: Path) -> None:
    path = _write_raster(tmp_path / "plain.tif", np.zeros((3, 3), dtype=np.uint8))
    with pytest.raises(InputError, match=r"^plain\.tif: .*product_type="):
        read_raster(path)
    assert len(read_raster(path, product_type="change-mask")) == 1
    with pytest.raises(InputError, match="raster without an EOLINK_PRODUCT_TYPE"):
        detect_product_type(path)


def test_raster_float_rejected(tmp_path: Path) -> None:
    path = _write_raster(tmp_path / "float.tif", np.zeros((3, 3), dtype=np.float32), nodata=-1.0)
    with pytest.raises(InputError, match=r"^float\.tif: band 1 is float32"):
        read_raster(path, product_type="crop-type-map")


def test_raster_without_crs(tmp_path: Path) -> None:
    path = _write_raster(tmp_path / "nocrs.tif", np.ones((3, 3), dtype=np.uint8), crs=None)
    with pytest.raises(CRSError, match=r"^nocrs\.tif: has no coordinate reference system"):
        read_raster(path, product_type="change-mask")
    table = read_raster(path, product_type="change-mask", crs="EPSG:32635")
    assert table.features.crs.to_epsg() == 32635 and table.features.pixel_count.tolist() == [9]


def test_raster_multiband(tmp_path: Path) -> None:
    data = np.stack([np.zeros((3, 3), np.uint8), np.ones((3, 3), np.uint8)])
    path = _write_raster(tmp_path / "two.tif", data)
    with pytest.raises(InputError, match=r"^two\.tif: has 2 bands"):
        read_raster(path, product_type="change-mask")
    assert read_raster(path, product_type="change-mask", band=2).features.class_code.tolist() == [1]


def test_raster_truncated(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    path = _write_raster(tmp_path / "trunc.tif", rng.integers(0, 5, (300, 300), dtype=np.uint8),
                         tags={"EOLINK_PRODUCT_TYPE": "change-mask"})
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputError, match=r"^trunc\.tif: "):
        read_raster(path)
    with pytest.raises(InputError, match=r"^trunc\.tif: "):
        read_product(path)


def test_raster_garbage_and_png(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"this is not a tiff at all" * 10)
    with pytest.raises(InputError, match=r"^junk\.tif: not a readable GeoTIFF"):
        read_raster(junk, product_type="change-mask")
    png = _write_png(tmp_path / "image.tif")
    with pytest.raises(InputError, match=r"^image\.tif: not a GeoTIFF \(GDAL opened it as PNG\)"):
        read_raster(png, product_type="change-mask")


def _write_png(path: Path) -> Path:
    with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(
        path, "w", driver="PNG", width=4, height=4, count=1, dtype="uint8"
    ) as dst:
        dst.write(np.zeros((1, 4, 4), np.uint8))
    return path


# ----------------------------------------------------------------------------- generic and bad input


@pytest.mark.parametrize("name", ["missing.tif", "missing.shp", "missing.geojson", "missing.osm.pbf"])
def test_missing_file(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match=rf"^{name.replace('.', r'[.]')}: no such file$"):
        read_product(tmp_path / name)


@pytest.mark.parametrize("name", ["empty.tif", "empty.shp", "empty.geojson", "empty.osm.pbf", "empty.csv"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(InputError, match=rf"^{name.replace('.', r'[.]')}: empty file"):
        read_product(path)


def test_png_named_geojson(tmp_path: Path) -> None:
    png = _write_png(tmp_path / "tmp.png")
    fake = tmp_path / "zones.geojson"
    fake.write_bytes(png.read_bytes())
    with rasterio.open(fake) as ds:  # the pitfall: rasterio opens it happily
        assert ds.driver == "PNG"
    for call in (lambda: read_product(fake), lambda: read_vector(fake, product_type="sea-ice-chart"),
                 lambda: read_product(fake, product_type="sea-ice-chart")):
        with pytest.raises(InputError, match=r"^zones\.geojson: is a PNG image"):
            call()


def test_corrupt_pbf(tmp_path: Path) -> None:
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"\x00\x00\x00\x0dnot really a pbf file" * 4)
    with pytest.raises(InputError, match=r"^bad\.osm\.pbf: not an OSM PBF"):
        read_product(bad)


def test_shapefile_without_dbf(tmp_path: Path, world: DemoWorld) -> None:
    for part in world.ice_chart_parts:
        if part.suffix != ".dbf":
            (tmp_path / part.name).write_bytes(part.read_bytes())
    shp = tmp_path / world.ice_chart.name
    with pytest.raises(InputError, match=rf"^{shp.name}: Shapefile without its \.dbf"):
        read_product(shp)
    with pytest.raises(InputError, match=r"without its \.dbf"):
        read_vector(shp, product_type="sea-ice-chart")


def test_truncated_shp(tmp_path: Path, world: DemoWorld) -> None:
    for part in world.ice_chart_parts:
        (tmp_path / part.name).write_bytes(part.read_bytes())
    shp = tmp_path / world.ice_chart.name
    shp.write_bytes(shp.read_bytes()[:-300])
    with pytest.raises(InputError, match=rf"^{shp.name}: truncated \.shp"):
        read_product(shp)


def test_shapefile_without_prj(tmp_path: Path, world: DemoWorld) -> None:
    for part in world.ice_chart_parts:
        if part.suffix != ".prj":
            (tmp_path / part.name).write_bytes(part.read_bytes())
    shp = tmp_path / world.ice_chart.name
    with pytest.raises(CRSError, match=rf"^{shp.name}: has no coordinate reference system"):
        read_product(shp)
    table = read_product(shp, crs="EPSG:4326")
    assert table.features.crs.to_epsg() == 4326 and any("assumed" in n for n in table.report.notes)


def test_null_geometry(tmp_path: Path) -> None:
    path = tmp_path / "nulls.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"a": 1}, "geometry": None},
        {"type": "Feature", "properties": {"a": 2},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
    ]}))
    with pytest.raises(InputError, match=r"^nulls\.geojson: 1 features without geometry"):
        read_vector(path, product_type="sea-ice-chart")
    table = read_vector(path, product_type="sea-ice-chart", null_geometry="drop")
    assert len(table) == 1 and table.report.geometries_dropped == 1


def test_invalid_geometry_policies(tmp_path: Path) -> None:
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    frame = gpd.GeoDataFrame({"name": ["bowtie", "square"]}, geometry=[bowtie, box(5, 5, 6, 6)], crs="EPSG:4326")
    path = tmp_path / "bad.gpkg"
    frame.to_file(path, driver="GPKG")
    repaired = read_vector(path, product_type="sea-ice-chart")
    assert repaired.report.geometries_repaired == 1 and repaired.features.geometry.is_valid.all()
    assert repaired.features.geometry.iloc[0].area == pytest.approx(2.0)
    with pytest.raises(GeometryError, match=r"^bad\.gpkg: 1 invalid geometries, first: Self-intersection"):
        read_vector(path, product_type="sea-ice-chart", invalid="reject")
    dropped = read_vector(path, product_type="sea-ice-chart", invalid="drop")
    assert dropped.features.name.tolist() == ["square"] and dropped.report.geometries_dropped == 1


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".fgb", ".parquet", ".csv"])
def test_vector_formats(tmp_path: Path, suffix: str) -> None:
    frame = gpd.GeoDataFrame({"name": ["a", "b"], "id": [10, 11]}, geometry=[box(0, 0, 1, 1), box(1, 1, 2, 2)],
                             crs="EPSG:4326")
    path = tmp_path / f"data{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path)
    elif suffix == ".csv":
        pd.DataFrame({"name": frame.name, "WKT": frame.geometry.to_wkt()}).to_csv(path, index=False)
    else:
        frame.to_file(path)
    kwargs = {"crs": "EPSG:4326"} if suffix == ".csv" else {}
    table = read_vector(path, product_type="change-mask", **kwargs)
    assert table.features.id.tolist() == ["0", "1"]
    assert sorted(table.features.name) == ["a", "b"]  # FlatGeobuf's spatial index may reorder features
    assert sorted(g.bounds for g in table.features.geometry) == [(0, 0, 1, 1), (1, 1, 2, 2)]
    assert table.features.crs.to_epsg() == 4326
    assert table.features.columns[0] == "id" and table.features.columns[-1] == "geometry"


# ----------------------------------------------------------------------------- SIGRID-3


def test_sigrid3_decoding(world: DemoWorld) -> None:
    table = read_sigrid3(world.ice_chart)
    frame = table.features
    raw = pyogrio.read_dataframe(world.ice_chart)
    assert list(frame.columns) == ICE_COLUMNS
    assert len(frame) == len(raw)
    assert table.report.dirty_values == {"CT": ["9-"], "FA": ["5C"]}
    for field in ("CT", "CA", "SA", "FA", "CB", "SB", "FB", "CC", "SC", "FC", "CN", "CD"):
        for decoded, original in zip(frame[field], raw[field]):
            if original in ("-9", "-99", "", "9-", "5C"):
                assert decoded is None, (field, original)
            else:
                assert decoded == original and len(decoded) == 2
    assert frame.POLY_TYPE.tolist() == raw.POLY_TYPE.tolist()
    for pred, sec, cf in zip(frame.CF_PRED, frame.CF_SEC, raw.CF):
        assert (pred, sec) == ((None, None) if cf == "-9" else (cf[:2], cf[2:]))
    assert frame.raw_egg_code.str.startswith("CT=").all()
    assert any("CT=9-" in code for code in frame.raw_egg_code)


def test_sigrid3_area_and_product(world: DemoWorld) -> None:
    table = read_sigrid3(world.ice_chart)
    # independent: an equal-area projection (LAEA Europe) gives the same areas to < 0.1 %
    laea = gpd.GeoSeries(table.features.geometry, crs=4326).to_crs(3035).area.to_numpy()
    np.testing.assert_allclose(table.features.area_m2.to_numpy(), laea, rtol=1e-3)
    record = table.product
    assert record.product_type == "sea-ice-chart" and record.synthetic is True
    assert record.as_row()["time_start"] == "2021-02-15T00:00:00Z"
    assert record.as_row()["time_end"] == "2021-02-15T23:59:59Z"
    assert record.extra["issuing_centre"] == "fmi"


def test_sigrid3_numeric_fields_and_missing_columns(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"POLY_TYPE": ["I", "i", "X"], "CT": [92, 8, -9], "SA": [93, 90, -99], "FA": [8, 21, 22]},
        geometry=[box(24, 60, 24.1, 60.1), box(24.1, 60, 24.2, 60.1), box(24.2, 60, 24.3, 60.1)], crs=4326,
    )
    path = tmp_path / "cis_SGRDREA_20210104_pl_a.shp"
    frame.to_file(path)
    table = read_sigrid3(path)
    out = table.features
    assert out.POLY_TYPE.tolist() == ["I", "I", None]
    assert out.CT.tolist() == ["92", None, None]
    assert out.SA.tolist() == ["93", None, None]
    assert out.FA.tolist() == ["08", "21", None]
    assert out.CB.isna().all() and out.CF_PRED.isna().all()
    assert table.report.dirty_values == {"POLY_TYPE": ["X"], "CT": ["8"], "SA": ["90"], "FA": ["22"]}
    assert table.product.extra["issuing_centre"] == "cis"


def test_decode_codes_table() -> None:
    series = pd.Series(["00", "01", "02", "12", "81", "91", "92", "99", "95", "-", "9P", None, ""])
    assert decode_codes(series, "CT").tolist() == ["00", "01", "02", "12", "81", "91", "92", "99", None, None,
                                                   None, None, None]


def test_non_sigrid_vector_is_not_detected(tmp_path: Path) -> None:
    path = tmp_path / "roads.geojson"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_file(path)
    with pytest.raises(InputError, match=r"^roads\.geojson: cannot tell the product type"):
        read_product(path)
    with pytest.raises(InputError, match="not a SIGRID-3 chart"):
        read_sigrid3(path)
    assert read_product(path, product_type="crop-type-map").product.product_type == "crop-type-map"


# ----------------------------------------------------------------------------- OSM


@pytest.fixture(scope="module")
def osm_table(world: DemoWorld):
    return read_osm(world.osm)


def test_osm_against_pyrosm(world: DemoWorld, osm_table) -> None:
    import warnings

    import pyrosm

    osm = pyrosm.OSM(str(world.osm))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = {
            "building": osm.get_buildings(),
            "highway": osm.get_network(network_type="driving"),
            "natural": osm.get_natural(),
            "railway": osm.get_data_by_custom_criteria(custom_filter={"railway": True}),
            "military": osm.get_data_by_custom_criteria(custom_filter={"landuse": ["military"]}),
            "bridge": osm.get_data_by_custom_criteria(custom_filter={"man_made": ["bridge"]}),
        }
    keys = {name: set(zip(f.osm_type, f.id.astype("int64"))) for name, f in layers.items()}
    frame = osm_table.features
    assert list(frame.columns) == OSM_COLUMNS
    table_keys = list(zip(frame.osm_type, frame.osm_id))
    assert len(table_keys) == len(set(table_keys))  # deduplicated
    got = set(table_keys)
    for name, expected in keys.items():
        assert expected <= got, name  # every element pyrosm returns is in the table
    by_type = frame.groupby("feature_type").size().to_dict()
    assert by_type["building"] == len(keys["building"] - keys["military"] - keys["bridge"] - keys["railway"])
    assert by_type["highway"] == len(keys["highway"] - keys["building"] - keys["railway"] - keys["bridge"]
                                     - keys["military"])
    assert by_type["railway"] == len(keys["railway"] - keys["military"] - keys["bridge"])
    assert set(by_type) <= set(FEATURE_TYPES)
    assert frame.crs.to_epsg() == 4326
    assert (frame.id == frame.osm_type + "-" + frame.osm_id.astype(str)).all()


def test_osm_tags_and_names(osm_table) -> None:
    frame = osm_table.features
    tags = frame.tags.map(json.loads)
    assert all(isinstance(t, dict) and all(v is not None for v in t.values()) for t in tags)
    names_from_tags = tags.map(lambda t: t.get("name"))
    assert (frame.name.fillna("<none>") == names_from_tags.fillna("<none>")).all()
    buildings = frame[frame.feature_type == "building"]
    assert all("building" in json.loads(t) for t in buildings.tags)
    assert osm_table.product.product_type == "osm-extract" and osm_table.product.synthetic is False


def test_osm_feature_type_subset(world: DemoWorld) -> None:
    table = read_product(world.osm, feature_types=["harbour", "bridge"])
    assert set(table.features.feature_type) <= {"harbour", "bridge"} and len(table) >= 2
    with pytest.raises(InputError, match="unknown OSM feature types"):
        read_osm(world.osm, feature_types=["castle"])


# ----------------------------------------------------------------------------- scenes


def test_parse_s2_and_s1() -> None:
    s2 = parse_product_name("S2B_MSIL2A_20230106T111349_N0509_R137_T30TUL_20230106T125051.SAFE")
    assert (s2.mission, s2.platform, s2.product_type, s2.processing_level, s2.relative_orbit, s2.mgrs_tile,
            s2.processing_baseline) == ("S2B", "Sentinel-2", "MSIL2A", "LEVEL2A", 137, "30TUL", "0509")
    assert s2.name == "S2B_MSIL2A_20230106T111349_N0509_R137_T30TUL_20230106T125051"
    s1 = parse_product_name("S1A_IW_GRDH_1SDV_20210101T052338_20210101T052403_035956_043694_ABCD.zip")
    assert (s1.mission, s1.instrument_mode, s1.product_type, s1.processing_level, s1.polarisation,
            s1.absolute_orbit) == ("S1A", "IW", "GRDH", "LEVEL1", "DV", 35956)
    assert s1.relative_orbit == (35956 - 73) % 175 + 1
    assert (s1.sensing_end - s1.sensing_start).total_seconds() == 25
    slc = parse_product_name("S1B_EW_SLC__1SDH_20210215T052338_20210215T052403_025600_030A11_FFFF")
    assert slc.product_type == "SLC" and slc.relative_orbit == (25600 - 27) % 175 + 1


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("S3A_OL_1_EFR____20210101T000000", "must start with S1 or S2"),
        ("S2A_MSIL1B_20210612T095031_N0300_R079_T35VLG_20210612T120325", "product level"),
        ("S2A_MSIL2A_20210612T095031_N300_R079_T35VLG_20210612T120325", "processing baseline"),
        ("S2A_MSIL2A_20210612T095031_N0300_R79_T35VLG_20210612T120325", "relative orbit"),
        ("S2A_MSIL2A_20210612T095031_N0300_R079_T35VIG_20210612T120325", "MGRS tile"),
        ("S2A_MSIL2A_20211312T095031_N0300_R079_T35VLG_20210612T120325", "not a valid date"),
        ("S2A_MSIL2A_20210612T095031_N0300_R079", "too short"),
        ("S1A_IW_GRDH_1SDV_20210101T052338_20210101T052403_35956_043694_ABCD", "absolute orbit"),
        ("S1A_IW_GRDH_1SDV_20210101T052338_20210101T052403_035956_043694_abcd", "unique id"),
        ("S1A_XX_GRDH_1SDV_20210101T052338_20210101T052403_035956_043694_ABCD", "instrument mode"),
        ("S1A_IW_GRDH_1SDX_20210101T052338_20210101T052403_035956_043694_ABCD", "polarisation"),
        ("S1A_IW_GRDH_1SDV_20210101T052338_20201231T052403_035956_043694_ABCD", "before start"),
    ],
)
def test_parse_invalid_names(name: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason) as info:
        parse_product_name(name)
    assert str(info.value).startswith(name)


def test_catalogue(world: DemoWorld) -> None:
    table = read_scene_catalogue(world.scenes)
    doc = json.loads(world.scenes.read_text())
    frame = table.features
    assert list(frame.columns) == [*SCENE_COLUMNS, "geometry"]
    assert frame.id.tolist() == [f["id"] for f in doc["features"]]
    s2 = frame[frame.platform == "Sentinel-2"]
    s1 = frame[frame.platform == "Sentinel-1"]
    assert len(s2) and len(s1)
    assert s2.absolute_orbit.isna().all() and s2.cloud_cover.notna().all() and (s2.mgrs_tile.str.len() == 5).all()
    assert s1.absolute_orbit.notna().all() and s1.cloud_cover.isna().all() and s1.mgrs_tile.isna().all()
    expected_rel = [f["properties"]["sat:relative_orbit"] for f in doc["features"]]
    assert frame.relative_orbit.tolist() == expected_rel
    assert frame.sensing_start.str.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").all()
    assert frame.crs.to_epsg() == 4326
    assert table.product.product_type == "scene-catalogue" and table.product.synthetic is True
    assert detect_product_type(world.scenes) == "scene-catalogue"


def test_catalogue_bad_names_stac_item_and_csv(tmp_path: Path, world: DemoWorld) -> None:
    doc = json.loads(world.scenes.read_text())
    doc["features"] = doc["features"][:3]
    doc["features"][1]["id"] = "S2A_MSIL2A_garbage"
    path = tmp_path / "cat.json"
    path.write_text(json.dumps(doc))
    table = read_scene_catalogue(path)
    assert len(table) == 2 and table.report.dirty_values["id"] == ["S2A_MSIL2A_garbage"]
    with pytest.raises(InputError, match=r"^cat\.json: item 1: S2A_MSIL2A_garbage"):
        read_scene_catalogue(path, invalid_names="error")

    item = dict(doc["features"][0], stac_version="1.0.0")
    item_path = tmp_path / "item.json"
    item_path.write_text(json.dumps(item))
    assert detect_product_type(item_path) == "scene-catalogue"
    assert read_product(item_path).features.id.tolist() == [item["id"]]

    csv = tmp_path / "dias_catalogue.csv"
    pd.DataFrame({"reference": [item["id"]], "footprint": ["POLYGON ((24 60, 25 60, 25 61, 24 61, 24 60))"],
                  "cloud_cover": ["12.5"]}).to_csv(csv, index=False)
    assert detect_product_type(csv) == "scene-catalogue"
    from_csv = read_product(csv)
    assert from_csv.features.cloud_cover.tolist() == [12.5] and from_csv.features.geometry.iloc[0].area == 1.0


def test_catalogue_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(InputError, match=r"^broken\.geojson: invalid JSON"):
        read_scene_catalogue(path)


# ----------------------------------------------------------------------------- registry


def test_registry_detects_and_reads_every_demo_product(world: DemoWorld) -> None:
    for ptype, path in world.products.items():
        assert detect_product_type(path) == ptype
        table = read_product(path)
        assert table.product.product_type == ptype
        assert table.features.id.is_unique and table.features.crs is not None


def test_registry_options(world: DemoWorld) -> None:
    assert len(read_product(world.change_mask, min_pixels=50)) < len(read_product(world.change_mask))
    with pytest.raises(InputError, match="unknown product type"):
        read_product(world.crop_map, product_type="weather-map")
    with pytest.raises(InputError, match="option not understood"):
        read_product(world.crop_map, colour="red")


_TILE_LETTERS = (
    "CDEFGHJKLMNPQRSTUVWX",
    "ABCDEFGHJKLMNPQRSTUVWXYZ",
    "ABCDEFGHJKLMNPQRSTUV",
)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_parse_s2_roundtrip_property() -> None:
    from datetime import datetime, timedelta

    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=60, deadline=None)
    @given(
        mission=st.sampled_from(["S2A", "S2B", "S2C"]),
        level=st.sampled_from(["L1C", "L2A"]),
        seconds=st.integers(0, 10 * 365 * 86400),
        baseline=st.integers(0, 9999),
        rel=st.integers(1, 143),
        zone=st.integers(1, 60),
        letters=st.tuples(*(st.sampled_from(s) for s in _TILE_LETTERS)),
    )
    def check(mission, level, seconds, baseline, rel, zone, letters):
        when = datetime(2016, 1, 1) + timedelta(seconds=seconds)
        tile = f"{zone:02d}{''.join(letters)}"
        name = f"{mission}_MSI{level}_{when:%Y%m%dT%H%M%S}_N{baseline:04d}_R{rel:03d}_T{tile}_{when:%Y%m%dT%H%M%S}"
        scene = parse_product_name(name)
        assert (scene.name, scene.relative_orbit, scene.mgrs_tile) == (name, rel, tile)
        assert scene.processing_level == f"LEVEL{level[1:]}"

    check()
