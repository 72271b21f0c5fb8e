"""Texts that describe a catalogue record, for the lexical (BM25) and the dense (embedding) retrievers.

Type descriptions are generic knowledge about each product type (what a change
mask or an ice chart is about), the same for every instance; instance texts add
the record's own metadata and content labels.

>>> from eolink.search.records import CatalogueRecord
>>> r = CatalogueRecord("http://x/s", "S2A_MSIL2A_X", "scene", "scene", platform="Sentinel-2", mgrs_tile="35VLG")
>>> "optical" in dense_text(r)
True
"""

from __future__ import annotations

from eolink.search.records import CatalogueRecord

__all__ = ["TYPE_DESCRIPTIONS", "lexical_text", "dense_text"]

#: Product type (or scene platform) → what such a product is about.
TYPE_DESCRIPTIONS: dict[str, str] = {
    "change-mask": "Change mask: change detection map of areas that changed between two satellite acquisitions "
                   "(construction, demolition, harvest, ploughing, mowing, clear-cut), change vector analysis",
    "crop-type-map": "Crop-type map: agricultural fields and farmland classified by crop (cereals, grassland, maize, "
                     "potato, rapeseed, wheat), agriculture, LSTM over a Sentinel-2 time series",
    "sea-ice-chart": "Sea-ice chart: ice concentration, stage of development and form of sea ice (egg code, SIGRID-3), "
                     "frozen sea in winter, ice navigation",
    "osm-extract": "OpenStreetMap extract: buildings, roads, streets, harbour, bridges and named places of the city, "
                   "vector map data",
    "scene-catalogue": "Scene catalogue: list of Sentinel-1 and Sentinel-2 satellite scenes with footprints and metadata",
    "Sentinel-2": "Sentinel-2 MSI optical multispectral satellite image, surface reflectance, affected by clouds",
    "Sentinel-1": "Sentinel-1 C-band SAR radar satellite image, IW GRD dual polarisation VV VH, works day and night through clouds",
}

_SEASON = {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring", 6: "summer", 7: "summer",
           8: "summer", 9: "autumn", 10: "autumn", 11: "autumn"}


def _labels(record: CatalogueRecord, alt_labels: dict[str, list[str]] | None, *, limit: int | None = None) -> list[str]:
    contents = sorted(record.contents, key=lambda c: -(c.area_ha or c.features))
    if limit is not None:
        contents = contents[:limit]
    out: list[str] = []
    for c in contents:
        out.append(c.label)
        if alt_labels:
            out.extend(alt_labels.get(c.concept, []))
    return out


def lexical_text(record: CatalogueRecord, alt_labels: dict[str, list[str]] | None = None) -> str:
    """Everything a keyword may hit: identifier, title, type, mission, tile, orbit, dates, all labels, names."""
    parts = [record.identifier.replace("_", " "), record.title, record.description, record.product_type.replace("-", " ")]
    if record.kind == "scene":
        parts += ["scene image", record.platform or "", record.mission or "", record.instrument or "",
                  record.processing_level or "", (record.processing_level or "").replace("LEVEL", "L"),
                  record.scene_type or "", f"tile {record.mgrs_tile}" if record.mgrs_tile else "",
                  f"orbit {record.relative_orbit} R{record.relative_orbit:03d}" if record.relative_orbit is not None else ""]
    else:
        parts += [TYPE_DESCRIPTIONS.get(record.product_type, "")]
    if record.start is not None:
        parts += [record.start.strftime("%B %Y %Y-%m-%d"), _SEASON[record.start.month]]
    parts += _labels(record, alt_labels)
    parts += list(record.names)
    return " ".join(p for p in parts if p)


def dense_text(record: CatalogueRecord) -> str:
    """A short description for the sentence-embedding model (no identifiers or exact dates: few distinct texts)."""
    if record.kind == "scene":
        desc = TYPE_DESCRIPTIONS.get(record.platform or "", "satellite scene")
        level = (record.processing_level or "").replace("LEVEL", "Level-")
        season = _SEASON[record.start.month] if record.start else ""
        return f"{desc}. {record.scene_type or ''} {level}, tile {record.mgrs_tile or '-'}, {season} scene".strip()
    labels = ", ".join(_labels(record, None, limit=10))
    return f"{TYPE_DESCRIPTIONS.get(record.product_type, '')}. {record.title}. Contains: {labels}".strip()
