"""STAC export and import of the catalogue.

:func:`export_stac` writes a static STAC 1.0 catalogue: ``catalog.json``, one
Collection per record type (``sentinel-1``, ``sentinel-2``, ``change-mask``,
``crop-type-map``, …) and one Item per record, with the eo/sat/sar/processing
extension fields, ``derived_from`` links for lineage and the content summary
under ``eolink:contents``. :func:`collect_items` gathers the Items of a local
STAC Catalog/Collection/ItemCollection/Item into one ItemCollection file that
the scene reader (:func:`eolink.etl.readers.scenes.read_scene_catalogue`)
ingests; :func:`import_stac` does both and ingests.

>>> from eolink.search.records import CatalogueRecord
>>> import shapely
>>> r = CatalogueRecord("http://x/s", "S2A_X", "scene", "scene", platform="Sentinel-2", mission="S2A",
...                     footprint=shapely.box(24, 60, 25, 61), cloud_cover=3.0)
>>> item = record_to_item(r)
>>> item["properties"]["eo:cloud_cover"], item["bbox"]
(3.0, [24.0, 60.0, 25.0, 61.0])
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import shapely

from eolink.errors import InputError
from eolink.search.records import CatalogueRecord

__all__ = ["record_to_item", "export_stac", "collect_items", "import_stac", "STAC_VERSION", "collection_id"]

STAC_VERSION = "1.0.0"
_EXT = {
    "eo": "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "sat": "https://stac-extensions.github.io/sat/v1.0.0/schema.json",
    "sar": "https://stac-extensions.github.io/sar/v1.0.0/schema.json",
    "processing": "https://stac-extensions.github.io/processing/v1.1.0/schema.json",
}


def collection_id(record: CatalogueRecord) -> str:
    """The Collection a record belongs to: ``sentinel-1``/``sentinel-2`` for scenes, else its product type."""
    if record.kind == "scene":
        return (record.platform or "scenes").lower()
    return record.product_type


def _safe(identifier: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", identifier)


def _iso(value: Any) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def record_to_item(record: CatalogueRecord, *, by_iri: dict[str, CatalogueRecord] | None = None) -> dict[str, Any]:
    """One record as a STAC Item (dict)."""
    props: dict[str, Any] = {"title": record.title}
    if record.start is not None and record.end is not None and record.end != record.start:
        props.update({"datetime": None, "start_datetime": _iso(record.start), "end_datetime": _iso(record.end)})
    else:
        props["datetime"] = _iso(record.start)
    extensions = []
    if record.kind == "scene":
        if record.mission:
            props["platform"] = f"sentinel-{record.mission[1:].lower()}"
        props["constellation"] = (record.platform or "").lower() or None
        props["instruments"] = ["msi"] if record.platform == "Sentinel-2" else ["c-sar"]
        if record.processing_level:
            props["processing:level"] = record.processing_level.replace("LEVEL", "L")
            extensions.append(_EXT["processing"])
        if record.relative_orbit is not None:
            props["sat:relative_orbit"] = record.relative_orbit
            extensions.append(_EXT["sat"])
        if record.absolute_orbit is not None:
            props["sat:absolute_orbit"] = record.absolute_orbit
        if record.mgrs_tile:
            props["s2:mgrs_tile"] = record.mgrs_tile
        if record.cloud_cover is not None:
            props["eo:cloud_cover"] = record.cloud_cover
            extensions.append(_EXT["eo"])
        if record.platform == "Sentinel-1":
            props["sar:instrument_mode"] = record.instrument
            pol = {"DV": ["VV", "VH"], "DH": ["HH", "HV"], "SV": ["VV"], "SH": ["HH"]}.get(record.polarisation or "", [])
            props["sar:polarizations"] = pol
            props["sar:product_type"] = record.scene_type
            extensions.append(_EXT["sar"])
    else:
        props["eolink:product_type"] = record.product_type
        if record.resolution_m is not None:
            props["gsd"] = record.resolution_m
        if record.contents:
            props["eolink:contents"] = [
                {"concept": c.concept, "label": c.label, "features": c.features, "area_ha": c.area_ha} for c in record.contents
            ]
        if record.change_area_ha is not None:
            props["eolink:change_area_ha"] = record.change_area_ha
    if record.synthetic is not None:
        props["eolink:synthetic"] = record.synthetic
    props = {k: v for k, v in props.items() if v is not None or k == "datetime"}
    links: list[dict[str, Any]] = [
        {"rel": "collection", "href": "../collection.json", "type": "application/json"},
        {"rel": "parent", "href": "../collection.json", "type": "application/json"},
        {"rel": "root", "href": "../../catalog.json", "type": "application/json"},
        {"rel": "via", "href": record.iri, "title": "linked-data resource"},
    ]
    for scene in record.derived_from:
        target = (by_iri or {}).get(scene)
        href = f"../../{collection_id(target)}/items/{_safe(target.identifier)}.json" if target else scene
        links.append({"rel": "derived_from", "href": href, "type": "application/geo+json"})
    geometry = None if record.footprint is None else json.loads(shapely.to_geojson(record.footprint))
    item: dict[str, Any] = {
        "type": "Feature", "stac_version": STAC_VERSION, "stac_extensions": sorted(set(extensions)),
        "id": record.identifier, "collection": collection_id(record), "geometry": geometry,
        "properties": props, "links": links, "assets": {},
    }
    if record.footprint is not None:
        item["bbox"] = [round(v, 7) for v in record.footprint.bounds]
    return item


def export_stac(records: Sequence[CatalogueRecord], directory: Path, *, title: str = "eolink catalogue") -> Path:
    """Write a static STAC catalogue of ``records`` into ``directory``; return the path of ``catalog.json``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    by_iri = {r.iri: r for r in records}
    groups: dict[str, list[CatalogueRecord]] = {}
    for record in records:
        groups.setdefault(collection_id(record), []).append(record)
    catalog = {
        "type": "Catalog", "stac_version": STAC_VERSION, "id": "eolink", "description": title, "title": title,
        "links": [{"rel": "root", "href": "./catalog.json", "type": "application/json"}],
    }
    for cid, members in sorted(groups.items()):
        folder = directory / cid
        (folder / "items").mkdir(parents=True, exist_ok=True)
        footprints = [r.footprint for r in members if r.footprint is not None]
        bbox = list(shapely.GeometryCollection(footprints).bounds) if footprints else [-180, -90, 180, 90]
        starts = [r.start for r in members if r.start is not None]
        ends = [r.end or r.start for r in members if r.start is not None]
        collection = {
            "type": "Collection", "stac_version": STAC_VERSION, "id": cid, "description": f"{cid} records of eolink",
            "license": "other", "extent": {"spatial": {"bbox": [bbox]},
                                           "temporal": {"interval": [[_iso(min(starts)) if starts else None, _iso(max(ends)) if ends else None]]}},
            "links": [{"rel": "root", "href": "../catalog.json", "type": "application/json"},
                      {"rel": "parent", "href": "../catalog.json", "type": "application/json"}],
        }
        for record in members:  # one file per item
            name = f"{_safe(record.identifier)}.json"
            (folder / "items" / name).write_text(json.dumps(record_to_item(record, by_iri=by_iri), indent=1), encoding="utf-8")
            collection["links"].append({"rel": "item", "href": f"./items/{name}", "type": "application/geo+json"})
        (folder / "collection.json").write_text(json.dumps(collection, indent=1), encoding="utf-8")
        catalog["links"].append({"rel": "child", "href": f"./{cid}/collection.json", "type": "application/json"})
    path = directory / "catalog.json"
    path.write_text(json.dumps(catalog, indent=1), encoding="utf-8")
    return path


def _read_json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"{path}: not a readable STAC JSON file ({err})") from err
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not a STAC object")
    return doc


def collect_items(path: Path, *, max_items: int = 1_000_000) -> list[dict[str, Any]]:
    """Items of a local STAC Catalog, Collection, ItemCollection or Item (links followed within the file system)."""
    path = Path(path)
    if path.is_dir():
        path = next((path / n for n in ("catalog.json", "collection.json") if (path / n).exists()), path / "catalog.json")
    items: list[dict[str, Any]] = []
    seen: set[Path] = set()
    stack = [path.resolve()]
    while stack:  # walk the link graph of a static catalogue
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        doc = _read_json(current)
        kind = doc.get("type")
        if kind == "Feature":
            items.append(doc)
        elif kind == "FeatureCollection":
            items.extend(f for f in doc.get("features", []) if isinstance(f, dict))
        elif kind in ("Catalog", "Collection"):
            for link in doc.get("links", []):
                if isinstance(link, dict) and link.get("rel") in ("child", "item") and isinstance(link.get("href"), str):
                    href = link["href"]
                    if "://" in href:
                        raise InputError(f"{current}: remote link {href} — only local static catalogues can be imported")
                    stack.append((current.parent / href).resolve())
        else:
            raise InputError(f"{current}: not a STAC Catalog, Collection, ItemCollection or Item (type {kind!r})")
        if len(items) > max_items:
            raise InputError(f"{path}: more than {max_items} items")
    return items


def import_stac(path: Path, store: Any, *, product_id: str | None = None) -> Any:
    """Ingest the scene Items of a local STAC catalogue through the scene reader; returns the ingest result.

    Items whose id is not a Sentinel-1/2 product name (e.g. exported derived products) are left out by the
    reader and listed in its report.
    """
    from eolink.etl.pipeline import ingest

    items = collect_items(path)
    if not items:
        raise InputError(f"{path}: no STAC items found")
    name = product_id or (Path(path).stem if Path(path).is_file() else Path(path).name) or "stac"
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"{_safe(name)}.json"
        target.write_text(json.dumps({"type": "FeatureCollection", "stac_version": STAC_VERSION, "features": items}), encoding="utf-8")
        return ingest([target], store, product_type="scene-catalogue")[0]
