"""SIGRID-3 sea-ice chart shapefiles -> FeatureTable (product type ``sea-ice-chart``).

Columns (docs/vocabulary.md): ``id`` (row number as str), ``POLY_TYPE`` (one
letter I/W/L/N/S or null), ``CT``, ``CA``, ``SA``, ``FA``, ``CB``, ``SB``, ``FB``,
``CC``, ``SC``, ``FC``, ``CN``, ``CD`` (valid codes as two-character strings,
e.g. ``"92"``, ``"08"``; null when missing or dirty), ``CF_PRED``, ``CF_SEC`` (the
two halves of CF, form codes), ``raw_egg_code`` (the raw values as in the file,
``"CT=92 CA=-9 SA=87 …"``), ``area_m2`` (geodesic, WGS84), ``geometry`` (source
CRS). Other attributes of the chart are not carried over.

Decoding (code tables of shared/SIGRID3.md):

* numbers and numeric strings are normalised: ``8``, ``"8"``, ``"08"`` → ``"08"``;
* -9, -99, "" and NULL are *missing* → null, not reported;
* anything else that is not a code of the field's table ('9-', '5C', '-', 90 as a
  stage, …) is *dirty* → null, and each distinct raw value is recorded in
  ``report.dirty_values[field]``;
* CF is four characters: ``CF[:2]`` → ``CF_PRED``, ``CF[2:]`` → ``CF_SEC``; a half
  that is -9 is missing; a CF of another shape is dirty (reported under ``"CF"``).

Product metadata come from the file name ``{centre}_{region}_{YYYYMMDD}_pl_a.shp``
(e.g. ``cis_SGRDREA_20210104_pl_a.shp``): the chart's day gives ``time_start``
(00:00:00Z) and ``time_end`` (23:59:59Z); ``extra`` holds ``issuing_centre`` and
``region``. The chart is synthetic when a field ``EOLINK_SYN`` is true on every row.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eolink.etl.readers._common import fail, geodesic_area, truthy
from eolink.etl.readers.vector import InvalidPolicy, NullPolicy, open_vector, read_vector
from eolink.etl.table import FeatureTable, ReadReport

__all__ = [
    "read_sigrid3",
    "is_sigrid3",
    "decode_codes",
    "SIGRID3_FIELDS",
    "CONCENTRATION_CODES",
    "STAGE_CODES",
    "FORM_CODES",
    "POLY_TYPES",
]

#: Egg-code fields of a SIGRID-3 chart, in output order.
SIGRID3_FIELDS = ("POLY_TYPE", "CT", "CA", "SA", "FA", "CB", "SB", "FB", "CC", "SC", "FC", "CN", "CD")
_RAW_FIELDS = ("CT", "CA", "SA", "FA", "CB", "SB", "FB", "CC", "SC", "FC", "CN", "CD", "CF")

#: Concentration codes (CT, CA, CB, CC).
CONCENTRATION_CODES = frozenset(
    {0, 1, 2, 10, 20, 30, 40, 50, 60, 70, 80, 90, 91, 92, 12, 13, 23, 24, 34, 35, 45, 46, 56, 57, 67, 68, 78, 79, 89,
     81, 99}
)
#: Stage-of-development codes (SA, SB, SC, CN, CD).
STAGE_CODES = frozenset({0, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 93, 95, 96, 97, 98, 99})
#: Form-of-ice codes (FA, FB, FC and the CF halves).
FORM_CODES = frozenset(set(range(0, 22)) | {99})
#: Polygon types.
POLY_TYPES = frozenset({"I", "W", "L", "N", "S"})

_TABLE = {
    "CT": CONCENTRATION_CODES, "CA": CONCENTRATION_CODES, "CB": CONCENTRATION_CODES, "CC": CONCENTRATION_CODES,
    "SA": STAGE_CODES, "SB": STAGE_CODES, "SC": STAGE_CODES, "CN": STAGE_CODES, "CD": STAGE_CODES,
    "FA": FORM_CODES, "FB": FORM_CODES, "FC": FORM_CODES,
}
_MISSING_TEXT = frozenset({"", "-9", "-99", "-9.0", "-99.0", "nan", "none", "null"})
_NUMBER = re.compile(r"^[+-]?\d+(\.0+)?$")
_NAME = re.compile(r"^(?P<centre>[A-Za-z]+)_(?P<region>[A-Za-z0-9]+)_(?P<date>\d{8})_pl_a$", re.IGNORECASE)


def _raw_text(series: pd.Series) -> pd.Series:
    """Raw values as text, NULL -> "" (numbers without a trailing .0)."""
    def one(value: Any) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return ""
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return str(int(value))
        return str(value).strip()

    # converted for the distinct values only, then mapped back (a vectorised dict lookup)
    values = series.astype(object)
    values = values.where(values.notna(), "")
    return values.map({u: one(u) for u in pd.unique(values)}).astype(object)


def _decode_value(text: str, codes: frozenset[int]) -> tuple[str | None, bool]:
    """(normalised code or None, dirty?) for one distinct raw value."""
    if text.lower() in _MISSING_TEXT:
        return None, False
    if _NUMBER.match(text):
        number = int(float(text))
        if number in (-9, -99):
            return None, False
        if number in codes:
            return f"{number:02d}", False
    return None, True


def decode_codes(raw: pd.Series, field: str, report: ReadReport | None = None) -> pd.Series:
    """Decode one egg-code column to two-character codes (null when missing or dirty).

    Works on the distinct values and maps back, so it is vectorised over rows.

    >>> decode_codes(pd.Series(["92", "8", "-9", "9-", 60]), "CT").tolist()
    ['92', None, None, None, '60']
    """
    text = _raw_text(raw)
    if field == "POLY_TYPE":
        mapping: dict[str, str | None] = {}
        for value in text.unique():
            upper = value.upper()
            if value.lower() in _MISSING_TEXT:
                mapping[value] = None
            elif upper in POLY_TYPES:
                mapping[value] = upper
            else:
                mapping[value] = None
                if report is not None:
                    report.add_dirty(field, value)
        decoded = text.map(mapping)
        return decoded.astype(object).where(decoded.notna(), None)
    codes = _TABLE[field]
    mapping = {}
    for value in text.unique():  # distinct values only: a handful per chart
        code, dirty = _decode_value(value, codes)
        mapping[value] = code
        if dirty and report is not None:
            report.add_dirty(field, value)
    decoded = text.map(mapping)
    return decoded.astype(object).where(decoded.notna(), None)


def _split_cf(raw: pd.Series, report: ReadReport) -> tuple[pd.Series, pd.Series]:
    text = _raw_text(raw)
    pred: dict[str, str | None] = {}
    sec: dict[str, str | None] = {}
    for value in text.unique():  # distinct values only
        if value.lower() in _MISSING_TEXT:
            pred[value] = sec[value] = None
            continue
        if len(value) == 4:
            halves = []
            dirty = False
            for half in (value[:2], value[2:]):
                code, bad = _decode_value(half, FORM_CODES)
                halves.append(code)
                dirty |= bad
            if not dirty:
                pred[value], sec[value] = halves
                continue
        pred[value] = sec[value] = None
        report.add_dirty("CF", value)
    p, s = text.map(pred), text.map(sec)
    return p.astype(object).where(p.notna(), None), s.astype(object).where(s.notna(), None)


def is_sigrid3(columns: Any) -> bool:
    """Whether a set of attribute names looks like a SIGRID-3 chart (CT plus stage or concentration fields).

    >>> is_sigrid3(["POLY_TYPE", "CT", "CA", "SA", "FA"]), is_sigrid3(["name", "CT"])
    (True, False)
    """
    names = {str(c).upper() for c in columns}
    return "CT" in names and len(names & {"POLY_TYPE", "CA", "SA", "FA", "CB", "SB"}) >= 2


def _chart_times(path: Path) -> tuple[datetime | None, datetime | None, dict[str, Any]]:
    match = _NAME.match(path.stem)
    if not match:
        return None, None, {}
    try:
        day = datetime.strptime(match["date"], "%Y%m%d").replace(tzinfo=timezone.utc)
    except ValueError:
        return None, None, {"issuing_centre": match["centre"].lower(), "region": match["region"]}
    return day, day + timedelta(days=1) - timedelta(seconds=1), {
        "issuing_centre": match["centre"].lower(),
        "region": match["region"],
        "chart_date": day.strftime("%Y-%m-%d"),
    }


def read_sigrid3(
    path: Path | str,
    *,
    crs: Any = None,
    invalid: InvalidPolicy = "repair",
    null_geometry: NullPolicy = "error",
    product_id: str | None = None,
) -> FeatureTable:
    """Read a SIGRID-3 ice chart shapefile.

    Parameters
    ----------
    path
        The chart (``.shp`` with ``.shx``, ``.dbf``; any vector format pyogrio reads works too).
    crs
        CRS to assume when the chart has no ``.prj``.
    invalid, null_geometry
        Geometry policies, as in :func:`eolink.etl.readers.vector.read_vector`.
    product_id
        Product identifier; default the file stem.

    Returns
    -------
    FeatureTable
        product type ``sea-ice-chart``; columns in the module docstring.

    Examples
    --------
    >>> import tempfile
    >>> from eolink.samples import write_demo_world
    >>> world = write_demo_world(Path(tempfile.mkdtemp()))
    >>> table = read_sigrid3(world.ice_chart)
    >>> table.product.time_start.isoformat(), table.report.dirty_values["CT"]
    ('2021-02-15T00:00:00+00:00', ['9-'])
    """
    import geopandas as gpd

    path = Path(path)
    info = open_vector(path)
    fields = [str(f) for f in info.get("fields", [])]
    if fields and not is_sigrid3(fields):
        raise fail(path, f"not a SIGRID-3 chart: no egg-code attributes (found {', '.join(fields[:12]) or 'none'})")
    base = read_vector(path, product_type="sea-ice-chart", crs=crs, invalid=invalid, null_geometry=null_geometry,
                       product_id=product_id)
    src = base.features
    upper = {str(c).upper(): c for c in src.columns}
    report = base.report
    n = len(src)
    empty = pd.Series([None] * n, index=src.index, dtype=object)

    out: dict[str, Any] = {"id": src["id"].astype(str).to_numpy()}
    for field in SIGRID3_FIELDS:
        column = upper.get(field)
        out[field] = decode_codes(src[column], field, report).to_numpy() if column is not None else empty.to_numpy()
    cf = upper.get("CF")
    if cf is not None:
        pred, sec = _split_cf(src[cf], report)
    else:
        pred, sec = empty, empty
    out["CF_PRED"], out["CF_SEC"] = pred.to_numpy(), sec.to_numpy()

    parts = []
    for field in _RAW_FIELDS:  # 13 columns, each a vectorised string concatenation
        column = upper.get(field)
        values = _raw_text(src[column]) if column is not None else pd.Series([""] * n, index=src.index)
        parts.append(field + "=" + values.astype(str))
    raw = parts[0]
    for part in parts[1:]:
        raw = raw + " " + part
    out["raw_egg_code"] = raw.to_numpy()
    out["area_m2"] = geodesic_area(src.geometry.values, src.crs)

    frame = gpd.GeoDataFrame(out, geometry=src.geometry.values, crs=src.crs)
    for column in SIGRID3_FIELDS + ("CF_PRED", "CF_SEC"):
        # keep codes as Python str / None (not a string dtype with NaN), whatever pandas infers
        frame[column] = pd.Series(out[column], index=frame.index, dtype=object)
    missing = [f for f in SIGRID3_FIELDS + ("CF",) if f not in upper]
    if missing:
        report.notes.append(f"chart lacks fields {', '.join(missing)} (all null)")

    start, end, extra = _chart_times(path)
    syn = upper.get("EOLINK_SYN")
    synthetic = bool(syn is not None and n and src[syn].map(truthy).all())
    if not synthetic and path.with_suffix(".txt").exists():
        synthetic = "synthetic" in path.with_suffix(".txt").read_text(encoding="utf-8", errors="replace").lower()
    record = base.product
    record.time_start, record.time_end = start, end
    record.synthetic = synthetic
    record.title = f"Sea-ice chart {extra.get('issuing_centre', '').upper()} {extra.get('region', '')} " \
                   f"{extra.get('chart_date', path.stem)}".replace("  ", " ").strip()
    record.extra.update(extra)
    report.rows_kept = len(frame)
    return FeatureTable(frame, record, report)
