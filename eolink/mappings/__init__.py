"""The shipped RML mappings, one per product type (``<type>.rml.ttl`` beside this module).

Mappings are data: Turtle in the current RML vocabulary (``http://w3id.org/rml/``)
with two logical sources, ``"features"`` (the feature table) and ``"product"``
(the one-row ``ProductRecord.as_row()``). Feature and geometry IRIs embed the
product id, so the ``"features"`` source must carry a ``product_id`` column:
:func:`mapping_sources` builds both sources from a table and a product row.

>>> sorted(MAPPINGS)
['change-mask', 'crop-type-map', 'osm-extract', 'scene-catalogue', 'sea-ice-chart']
>>> mapping_path("crop-type-map").name
'crop-type-map.rml.ttl'
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from eolink.errors import InputError

__all__ = ["MAPPINGS", "MAPPINGS_DIR", "mapping_path", "mapping_sources"]

#: Folder of the shipped mapping files.
MAPPINGS_DIR = Path(str(resources.files(__name__)))

#: product type -> file name of its mapping.
MAPPINGS: dict[str, str] = {
    "change-mask": "change-mask.rml.ttl",
    "crop-type-map": "crop-type-map.rml.ttl",
    "sea-ice-chart": "sea-ice-chart.rml.ttl",
    "osm-extract": "osm-extract.rml.ttl",
    "scene-catalogue": "scene-catalogue.rml.ttl",
}


def mapping_path(product_type: str) -> Path:
    """Path of the shipped mapping of ``product_type``.

    >>> mapping_path("sea-ice-chart").exists()
    True
    >>> mapping_path("lidar")
    Traceback (most recent call last):
    ...
    eolink.errors.InputError: no mapping for product type 'lidar'; known: change-mask, crop-type-map, sea-ice-chart, osm-extract, scene-catalogue
    """
    try:
        return MAPPINGS_DIR / MAPPINGS[product_type]
    except KeyError:
        raise InputError(f"no mapping for product type {product_type!r}; known: {', '.join(MAPPINGS)}") from None


def mapping_sources(features: pd.DataFrame, product_row: Mapping[str, Any]) -> dict[str, Any]:
    """The logical sources of a shipped mapping: ``{"features": ..., "product": [row]}``.

    ``features`` gets a ``product_id`` column (the row's ``product_id``) unless it
    has one; the caller's frame is not modified.

    >>> import pandas as pd
    >>> src = mapping_sources(pd.DataFrame({"id": ["1", "2"]}), {"product_id": "p"})
    >>> src["features"]["product_id"].tolist(), src["product"][0]["product_id"]
    (['p', 'p'], 'p')
    """
    if "product_id" not in product_row:
        raise InputError("the product row has no product_id")
    if "product_id" not in features.columns:
        features = features.assign(product_id=product_row["product_id"])
    return {"features": features, "product": [dict(product_row)]}
