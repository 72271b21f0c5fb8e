"""Sentinel-1/2 product names and scene catalogues -> FeatureTable (product type ``scene-catalogue``).

:func:`parse_product_name` checks a name against the two regular expressions of
shared/SIGRID3.md and says which part is wrong when it does not match.

:func:`read_scene_catalogue` reads

* a GeoJSON FeatureCollection of STAC-like items (the format eolink.samples
  writes: feature ``id`` = product name, properties ``eo:cloud_cover`` …), a STAC
  ItemCollection, or a single STAC Item (``.json``/``.geojson``);
* a CSV catalogue (CbM ``dias_catalogue`` style): a name column (``id``, ``name``,
  ``identifier``, ``reference`` or ``title``), a WKT footprint column (``footprint``,
  ``geometry``, ``wkt`` or ``geom``, EPSG:4326 lon/lat) and optionally ``cloud_cover``.

Columns (docs/vocabulary.md): ``id`` (product name without ``.SAFE``/``.zip``),
``mission``, ``platform``, ``instrument_mode``, ``product_type``,
``processing_level``, ``sensing_start``, ``sensing_end`` (ISO ``…Z`` strings),
``relative_orbit`` (int), ``absolute_orbit`` (int or null), ``mgrs_tile``,
``cloud_cover`` (float or null), ``polarisation``, ``processing_baseline``;
``geometry`` = footprint in EPSG:4326 (lon/lat).

Everything but the footprint and cloud cover is taken from the product name.
For Sentinel-1 the relative orbit follows from the absolute orbit: S1A
``(abs - 73) mod 175 + 1``, S1B ``(abs - 27) mod 175 + 1``, S1C ``(abs - 172) mod 175 + 1``;
S1D's formula is not known here (``relative_orbit`` is then null, or taken
from a ``sat:relative_orbit``/``relative_orbit`` property when present).
Sentinel-2 names have no sensing end: ``sensing_end`` = ``sensing_start``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from eolink.errors import InputError
from eolink.etl.readers._common import check_file, fail, truthy
from eolink.etl.table import FeatureTable, ProductRecord, ReadReport

__all__ = [
    "SceneName",
    "parse_product_name",
    "read_scene_catalogue",
    "is_scene_catalogue",
    "S1_NAME",
    "S2_NAME",
    "SCENE_COLUMNS",
]

#: Sentinel-1 product name (shared/SIGRID3.md).
S1_NAME = re.compile(
    r"^(S1[A-D])_(IW|EW|WV|S[1-6])_(RAW|SLC|GRD|OCN)([FHM_])_([012])([SA])(SH|SV|DH|DV|HH|HV|VV|VH)_"
    r"(\d{8}T\d{6})_(\d{8}T\d{6})_(\d{6})_([0-9A-F]{6})_([0-9A-F]{4})(\.SAFE)?(\.zip)?$"
)
#: Sentinel-2 product name (shared/SIGRID3.md).
S2_NAME = re.compile(
    r"^(S2[A-D])_MSI(L1C|L2A)_(\d{8}T\d{6})_N(\d{4})_R(\d{3})_T(\d{2}[C-HJ-NP-X][A-HJ-NP-Z][A-HJ-NP-V])_"
    r"(\d{8}T\d{6})(\.SAFE)?$"
)

#: Attribute columns of a scene-catalogue feature table, in order (``id`` first, ``geometry`` last).
SCENE_COLUMNS = (
    "id", "mission", "platform", "instrument_mode", "product_type", "processing_level", "sensing_start",
    "sensing_end", "relative_orbit", "absolute_orbit", "mgrs_tile", "cloud_cover", "polarisation",
    "processing_baseline",
)

_S1_ORBIT_OFFSET = {"S1A": 73, "S1B": 27, "S1C": 172}
_ISO = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class SceneName:
    """The parts of a Sentinel-1 or Sentinel-2 product name."""

    name: str
    mission: str
    platform: str
    instrument_mode: str
    product_type: str
    processing_level: str
    sensing_start: datetime
    sensing_end: datetime
    relative_orbit: int | None
    absolute_orbit: int | None = None
    mgrs_tile: str | None = None
    polarisation: str | None = None
    processing_baseline: str | None = None
    product_discriminator: str | None = None
    datatake_id: str | None = None
    unique_id: str | None = None

    def as_row(self) -> dict[str, Any]:
        """The catalogue columns (times as ISO ``…Z`` strings), without cloud cover.

        >>> parse_product_name("S2A_MSIL2A_20210612T095031_N0300_R079_T35VLG_20210612T120325").as_row()["mgrs_tile"]
        '35VLG'
        """
        row = asdict(self)
        row["id"] = row.pop("name")
        for key in ("sensing_start", "sensing_end"):
            row[key] = row[key].strftime(_ISO)
        for key in ("product_discriminator", "datatake_id", "unique_id"):
            row.pop(key)
        return row


def _time(text: str, name: str, what: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError as err:
        raise InputError(f"{name}: {what} {text!r} is not a valid date and time") from err


# Part-by-part checks used to explain a non-matching name: (pattern, what it is).
_S2_PARTS = [
    (r"S2[A-D]", "mission (S2A, S2B, S2C or S2D)"),
    (r"MSI(L1C|L2A)", "product level (MSIL1C or MSIL2A)"),
    (r"\d{8}T\d{6}", "sensing start (YYYYMMDDTHHMMSS)"),
    (r"N\d{4}", "processing baseline (Nxxyy)"),
    (r"R\d{3}", "relative orbit (Rxxx)"),
    (r"T\d{2}[C-HJ-NP-X][A-HJ-NP-Z][A-HJ-NP-V]", "MGRS tile (Txxxxx, e.g. T35VLG)"),
    (r"\d{8}T\d{6}(\.SAFE)?", "product discriminator (YYYYMMDDTHHMMSS)"),
]
_S1_PARTS = [
    (r"S1[A-D]", "mission (S1A, S1B, S1C or S1D)"),
    (r"IW|EW|WV|S[1-6]", "instrument mode (IW, EW, WV, S1-S6)"),
    (r"(RAW|SLC|GRD|OCN)[FHM_]", "product type and resolution (e.g. GRDH, SLC_)"),
    (r"[012][SA](SH|SV|DH|DV|HH|HV|VV|VH)", "level, class and polarisation (e.g. 1SDV)"),
    (r"\d{8}T\d{6}", "start time (YYYYMMDDTHHMMSS)"),
    (r"\d{8}T\d{6}", "stop time (YYYYMMDDTHHMMSS)"),
    (r"\d{6}", "absolute orbit (6 digits)"),
    (r"[0-9A-F]{6}", "mission data-take id (6 hex digits)"),
    (r"[0-9A-F]{4}(\.SAFE)?(\.zip)?", "unique id (4 hex digits)"),
]


def _explain(name: str) -> str:
    """Why ``name`` is not a Sentinel-1/2 product name, in one phrase."""
    if name.startswith("S2"):
        parts_spec, kind = _S2_PARTS, "Sentinel-2"
    elif name.startswith("S1"):
        parts_spec, kind = _S1_PARTS, "Sentinel-1"
    else:
        return "not a Sentinel-1 or Sentinel-2 product name (must start with S1 or S2)"
    # "SLC_" carries an underscore of its own: protect it before splitting into parts
    parts = [p.replace("\x00", "_") for p in name.replace("SLC__", "SLC\x00_").split("_")]
    for i, (pattern, what) in enumerate(parts_spec):
        if i >= len(parts):
            return f"{kind} name too short: missing the {what}"
        if not re.fullmatch(pattern, parts[i]):
            return f"{kind} part {i + 1} {parts[i]!r} is not a valid {what}"
    if len(parts) > len(parts_spec):
        return f"{kind} name has {len(parts) - len(parts_spec)} extra part(s) after the last one"
    return f"does not match the {kind} product-name pattern"


def parse_product_name(name: str) -> SceneName:
    """Parse a Sentinel-1 or Sentinel-2 product name.

    Parameters
    ----------
    name
        e.g. ``S2A_MSIL2A_20210612T095031_N0300_R079_T35VLG_20210612T120325`` (``.SAFE``/``.zip`` allowed).

    Returns
    -------
    SceneName

    Raises
    ------
    InputError
        The name does not match; the message names the wrong part.

    Examples
    --------
    >>> s = parse_product_name("S1A_IW_GRDH_1SDV_20210101T052338_20210101T052403_035956_043694_ABCD")
    >>> s.platform, s.product_type, s.absolute_orbit, s.relative_orbit, s.polarisation
    ('Sentinel-1', 'GRDH', 35956, 9, 'DV')
    >>> parse_product_name("S2A_MSIL2A_20210612T095031_N0300_R079_T35VIG_20210612T120325")
    Traceback (most recent call last):
    ...
    eolink.errors.InputError: S2A_MSIL2A_20210612T095031_N0300_R079_T35VIG_20210612T120325: Sentinel-2 part 6 'T35VIG' is not a valid MGRS tile (Txxxxx, e.g. T35VLG)
    """
    if not isinstance(name, str):
        raise InputError(f"{name!r}: a product name must be a string")
    text = name.strip()
    if text.endswith(".zip") and text.startswith("S2"):
        text = text[: -len(".zip")]
    m2 = S2_NAME.match(text)
    if m2:
        mission, level, start, baseline, rel, tile, disc = m2.group(1, 2, 3, 4, 5, 6, 7)
        sensing = _time(start, text, "sensing start")
        _time(disc, text, "product discriminator")
        return SceneName(
            name=text.removesuffix(".SAFE"),
            mission=mission,
            platform="Sentinel-2",
            instrument_mode="MSI",
            product_type=f"MSI{level}",
            processing_level=f"LEVEL{level[1:]}",
            sensing_start=sensing,
            sensing_end=sensing,
            relative_orbit=int(rel),
            mgrs_tile=tile,
            processing_baseline=baseline,
            product_discriminator=disc,
        )
    m1 = S1_NAME.match(text)
    if m1:
        mission, mode, ptype, res, level, _cls, pol, start, stop, absolute, datatake, uid = m1.group(
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
        )
        t0, t1 = _time(start, text, "start time"), _time(stop, text, "stop time")
        if t1 < t0:
            raise InputError(f"{text}: stop time {stop} is before start time {start}")
        orbit = int(absolute)
        offset = _S1_ORBIT_OFFSET.get(mission)
        bare = text.removesuffix(".zip").removesuffix(".SAFE")
        return SceneName(
            name=bare,
            mission=mission,
            platform="Sentinel-1",
            instrument_mode=mode,
            product_type=ptype + (res if res != "_" else ""),
            processing_level=f"LEVEL{level}",
            sensing_start=t0,
            sensing_end=t1,
            relative_orbit=(orbit - offset) % 175 + 1 if offset is not None else None,
            absolute_orbit=orbit,
            polarisation=pol,
            datatake_id=datatake,
            unique_id=uid,
        )
    raise InputError(f"{text}: {_explain(text)}")


# ----------------------------------------------------------------------------- catalogue files

_NAME_KEYS = ("id", "name", "identifier", "reference", "title", "product_name")
_CLOUD_KEYS = ("eo:cloud_cover", "cloud_cover", "cloudCover", "cloudcover")
_GEOM_KEYS = ("footprint", "geometry", "wkt", "geom", "WKT")


def _first(mapping: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = mapping.get(key)
        if value not in (None, ""):
            return value
    return None


def _load_json_items(path: Path) -> tuple[list[tuple[str | None, dict[str, Any], Any]], dict[str, Any]]:
    """(name, properties, geometry mapping) per item, and the collection-level members."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise fail(path, "not a text (UTF-8) JSON file") from err
    except json.JSONDecodeError as err:
        raise fail(path, f"invalid JSON at line {err.lineno} column {err.colno} ({err.msg})") from err
    if not isinstance(doc, dict):
        raise fail(path, "JSON is not a GeoJSON object")
    if doc.get("type") == "Feature":
        features = [doc]
    elif doc.get("type") == "FeatureCollection" and isinstance(doc.get("features"), list):
        features = doc["features"]
    else:
        raise fail(path, "not a GeoJSON FeatureCollection, STAC ItemCollection or STAC Item")
    crs = doc.get("crs")
    if isinstance(crs, dict):
        crs_name = str(crs.get("properties", {}).get("name", ""))
        if crs_name and not re.search(r"(CRS84|EPSG:{1,2}4326)$", crs_name):
            raise fail(path, f"scene footprints must be lon/lat (EPSG:4326/CRS84), the file declares {crs_name}")
    items = []
    for feature in features:  # JSON documents: one dict per scene, no array form
        if not isinstance(feature, dict):
            raise fail(path, "a feature is not a JSON object")
        props = feature.get("properties") or {}
        name = feature.get("id") if isinstance(feature.get("id"), str) else None
        name = name or _first(props, _NAME_KEYS)
        items.append((name, props, feature.get("geometry")))
    return items, doc


def _load_csv_items(path: Path) -> tuple[list[tuple[str | None, dict[str, Any], Any]], dict[str, Any]]:
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise fail(path, f"not a readable CSV ({type(err).__name__}: {err})") from err
    name_col = next((c for c in _NAME_KEYS if c in frame.columns), None)
    geom_col = next((c for c in _GEOM_KEYS if c in frame.columns), None)
    if name_col is None or geom_col is None:
        raise fail(path, "CSV catalogue needs a name column (id/name/identifier/reference/title) "
                         "and a WKT footprint column (footprint/geometry/wkt/geom)")
    records = frame.to_dict("records")
    return [(r[name_col] or None, r, ("wkt", r[geom_col])) for r in records], {}


def is_scene_catalogue(path: Path | str) -> bool:
    """Whether a JSON/CSV file looks like a scene catalogue (its first item's name is a Sentinel product name)."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".csv":
            items, _ = _load_csv_items(path)
        else:
            items, doc = _load_json_items(path)
            if "stac_version" in doc or any("stac_version" in (p or {}) for _, p, _ in items[:1]):
                return True
    except InputError:
        return False
    for name, _, _ in items[:5]:
        if name:
            try:
                parse_product_name(str(name))
                return True
            except InputError:
                continue
    return False


def _geometry(raw: Any):
    import shapely
    from shapely.geometry import shape

    if raw is None:
        return None
    if isinstance(raw, tuple) and raw[0] == "wkt":
        return shapely.from_wkt(raw[1], on_invalid="ignore") if raw[1] else None
    return shape(raw)


def read_scene_catalogue(
    path: Path | str,
    *,
    invalid_names: Literal["drop", "error"] = "drop",
    null_geometry: Literal["error", "drop"] = "error",
    product_id: str | None = None,
) -> FeatureTable:
    """Read a Sentinel scene catalogue.

    Parameters
    ----------
    path
        GeoJSON FeatureCollection / STAC ItemCollection / STAC Item (``.geojson``, ``.json``) or CSV with WKT.
    invalid_names
        ``"drop"`` (default): items whose name is not a Sentinel-1/2 product name are left
        out and listed in ``report.dirty_values["id"]``; ``"error"``: :class:`InputError`.
    null_geometry
        ``"error"`` (default) or ``"drop"`` for items without a footprint.
    product_id
        Product identifier; default the file stem.

    Returns
    -------
    FeatureTable
        product type ``scene-catalogue``, columns :data:`SCENE_COLUMNS` + ``geometry`` (EPSG:4326).

    Examples
    --------
    >>> import tempfile
    >>> from eolink.samples import write_demo_world
    >>> world = write_demo_world(Path(tempfile.mkdtemp()))
    >>> table = read_scene_catalogue(world.scenes)
    >>> sorted(table.features.platform.unique())
    ['Sentinel-1', 'Sentinel-2']
    """
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    path = check_file(path)
    if path.suffix.lower() == ".csv":
        items, doc = _load_csv_items(path)
        file_format = "CSV"
    else:
        items, doc = _load_json_items(path)
        file_format = "GeoJSON"
    report = ReadReport(rows_read=len(items))
    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    seen: set[str] = set()
    synthetic_flags: list[bool] = []
    for index, (name, props, raw_geom) in enumerate(items):  # one regex parse per scene: inherently per row
        if not name:
            if invalid_names == "error":
                raise fail(path, f"item {index} has no product name")
            report.add_dirty("id", f"<item {index} without name>")
            continue
        try:
            scene = parse_product_name(str(name))
        except InputError as err:
            if invalid_names == "error":
                raise fail(path, f"item {index}: {err}") from err
            report.add_dirty("id", str(name))
            continue
        if scene.name in seen:
            report.notes.append(f"duplicate scene {scene.name} skipped")
            continue
        try:
            geom = _geometry(raw_geom)
        except Exception as err:  # noqa: BLE001 - shapely raises several types for malformed GeoJSON
            raise fail(path, f"item {scene.name} has an unreadable footprint ({err})") from err
        if geom is None or geom.is_empty:
            if null_geometry == "error":
                raise fail(path, f"item {scene.name} has no footprint (pass null_geometry='drop' to skip it)")
            report.geometries_dropped += 1
            continue
        seen.add(scene.name)
        row = scene.as_row()
        cloud = _first(props, _CLOUD_KEYS)
        try:
            row["cloud_cover"] = float(cloud) if cloud is not None else None
        except (TypeError, ValueError):
            report.add_dirty("cloud_cover", str(cloud))
            row["cloud_cover"] = None
        if row["relative_orbit"] is None:
            rel = _first(props, ("sat:relative_orbit", "relative_orbit"))
            row["relative_orbit"] = int(rel) if rel is not None and str(rel).lstrip("-").isdigit() else None
        rows.append(row)
        geoms.append(geom)
        synthetic_flags.append(truthy(props.get("eolink:synthetic", False)))

    geom_array = np.asarray(geoms, dtype=object) if geoms else np.zeros(0, dtype=object)
    bad = ~shapely.is_valid(geom_array) if len(geom_array) else np.zeros(0, bool)
    if bad.any():
        geom_array[bad] = shapely.make_valid(geom_array[bad])
        report.geometries_repaired += int(bad.sum())
    frame = pd.DataFrame(rows, columns=list(SCENE_COLUMNS))
    for column in ("relative_orbit", "absolute_orbit"):
        frame[column] = frame[column].astype("Int64")
    frame["cloud_cover"] = frame["cloud_cover"].astype(float)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geom_array, crs="EPSG:4326"), crs="EPSG:4326")
    report.rows_kept = len(gdf)
    if report.dirty_values.get("id"):
        report.notes.append(f"{len(report.dirty_values['id'])} items without a valid Sentinel product name left out")

    starts = pd.to_datetime(frame["sensing_start"], utc=True) if len(frame) else pd.Series([], dtype=object)
    ends = pd.to_datetime(frame["sensing_end"], utc=True) if len(frame) else pd.Series([], dtype=object)
    synthetic = truthy(doc.get("eolink:synthetic", False)) or (bool(synthetic_flags) and all(synthetic_flags))
    record = ProductRecord(
        product_id=product_id or path.stem,
        product_type="scene-catalogue",
        title=str(doc.get("title") or doc.get("name") or path.stem),
        description=str(doc.get("description") or ""),
        time_start=starts.min().to_pydatetime() if len(frame) else None,
        time_end=ends.max().to_pydatetime() if len(frame) else None,
        scenes=[],
        synthetic=synthetic,
        source_file=path.name,
        file_format=file_format,
        crs_epsg=4326,
        extra={"scene_count": len(gdf)},
    )
    return FeatureTable(gdf, record, report)
