"""The feature table: the one contract between readers and mappings.

A reader turns a product file into a :class:`FeatureTable`:

* ``features`` — a GeoDataFrame, one row per feature, with at least the columns
  ``id`` (str, unique within the product) and ``geometry`` (shapely), its CRS set
  (the source CRS, never silently reprojected), plus the attribute columns the
  reader documents for its product type;
* ``product`` — a :class:`ProductRecord` with the product's metadata;
* ``report`` — a :class:`ReadReport` of what the reader repaired or dropped.

Mappings read ``features`` through the logical source named ``"features"`` and
``product.as_row()`` through the logical source named ``"product"``.

>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> gdf = gpd.GeoDataFrame({"id": ["1"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:32635")
>>> table = FeatureTable(gdf, ProductRecord(product_id="demo", product_type="crop-type-map", title="Demo"))
>>> table.product.iri
'https://w3id.org/eolink/resource/product/demo'
>>> len(table)
1
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import geopandas as gpd

from eolink.errors import InputError
from eolink.ontology import RESOURCE

__all__ = ["FeatureTable", "ProductRecord", "ReadReport", "PRODUCT_TYPES", "slugify"]

#: Product types eolink knows, each with a shipped mapping ``eolink/mappings/<type>.rml.ttl``.
PRODUCT_TYPES = ("change-mask", "crop-type-map", "sea-ice-chart", "osm-extract", "scene-catalogue")

_SLUG_BAD = re.compile(r"[^A-Za-z0-9._-]+")


def slugify(text: str) -> str:
    """A string safe as one IRI path segment.

    >>> slugify("S2 change / 35VLG")
    'S2_change_35VLG'
    """
    slug = _SLUG_BAD.sub("_", text).strip("_")
    if not slug:
        raise InputError(f"cannot make an identifier from {text!r}")
    return slug


@dataclass
class ProductRecord:
    """Metadata of one product (one named graph in the store).

    Times are timezone-aware UTC datetimes. ``scenes`` are the Sentinel product
    names the product was derived from. ``extra`` holds type-specific metadata
    (method, confidence level, number of classes, resolution, ...), exposed to
    mappings as columns of the product row.
    """

    product_id: str
    product_type: str
    title: str
    description: str = ""
    time_start: datetime | None = None
    time_end: datetime | None = None
    scenes: list[str] = field(default_factory=list)
    synthetic: bool = False
    source_file: str = ""
    file_format: str = ""
    crs_epsg: int | None = None
    resolution_m: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.product_type not in PRODUCT_TYPES:
            raise InputError(f"unknown product type {self.product_type!r}; expected one of {', '.join(PRODUCT_TYPES)}")
        self.product_id = slugify(self.product_id)

    @property
    def iri(self) -> str:
        """Product IRI, which is also the IRI of its named graph."""
        return f"{RESOURCE}product/{self.product_id}"

    def as_row(self) -> dict[str, Any]:
        """The record as one flat row (the ``product`` logical source of mappings).

        >>> ProductRecord(product_id="p", product_type="osm-extract", title="t").as_row()["product_iri"]
        'https://w3id.org/eolink/resource/product/p'
        """
        row = {k: v for k, v in dataclasses.asdict(self).items() if k not in ("extra", "scenes")}
        row["product_iri"] = self.iri
        for key in ("time_start", "time_end"):
            value = row[key]
            row[key] = value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None
        row["synthetic"] = "true" if self.synthetic else "false"
        row["scenes"] = list(self.scenes)
        row.update(self.extra)
        return row


@dataclass
class ReadReport:
    """What a reader did to the input besides reading it."""

    rows_read: int = 0
    rows_kept: int = 0
    geometries_repaired: int = 0
    geometries_dropped: int = 0
    dirty_values: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add_dirty(self, column: str, value: str) -> None:
        """Record an unparseable value of ``column`` (each distinct value once)."""
        values = self.dirty_values.setdefault(column, [])
        if value not in values:
            values.append(value)


@dataclass
class FeatureTable:
    """Features of one product plus its metadata (see the module docstring)."""

    features: gpd.GeoDataFrame
    product: ProductRecord
    report: ReadReport = field(default_factory=ReadReport)

    def __post_init__(self) -> None:
        missing = {"id", "geometry"} - set(self.features.columns)
        if missing:
            raise InputError(f"feature table of {self.product.product_id} lacks columns {sorted(missing)}")
        if self.features.crs is None:
            raise InputError(f"feature table of {self.product.product_id} has no CRS")

    def __len__(self) -> int:
        return len(self.features)
