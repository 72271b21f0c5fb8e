"""Catalogue records to and from Parquet (footprints as WKB, contents as JSON).

>>> import tempfile, shapely
>>> from pathlib import Path
>>> from eolink.search.records import CatalogueRecord
>>> path = Path(tempfile.mkdtemp()) / "r.parquet"
>>> save_records([CatalogueRecord("http://x/a", "a", "scene", "scene", footprint=shapely.box(0, 0, 1, 1))], path)
>>> load_records(path)[0].footprint.area
1.0
"""

from __future__ import annotations

import json
import os
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from eolink.search.records import CatalogueRecord, ConceptSummary

__all__ = ["save_records", "load_records"]

_SCALARS = [f.name for f in fields(CatalogueRecord) if f.name not in ("footprint", "derived_from", "contents", "names", "extra", "start", "end")]


def save_records(records: list[CatalogueRecord], path: Path) -> None:
    """Write records to a Parquet file (atomically: temporary file, then rename)."""
    columns: dict[str, list] = {name: [getattr(r, name) for r in records] for name in _SCALARS}
    columns["start"] = [r.start.timestamp() if r.start else None for r in records]
    columns["end"] = [r.end.timestamp() if r.end else None for r in records]
    columns["footprint"] = [None if r.footprint is None else shapely.to_wkb(r.footprint) for r in records]
    columns["derived_from"] = [list(r.derived_from) for r in records]
    columns["names"] = [list(r.names) for r in records]
    columns["contents"] = [json.dumps([[c.concept, c.scheme, c.label, c.features, c.area_ha] for c in r.contents]) for r in records]
    columns["extra"] = [json.dumps(r.extra) for r in records]
    table = pa.table({k: pa.array(v, type=pa.binary()) if k == "footprint" else pa.array(v) for k, v in columns.items()})
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def load_records(path: Path) -> list[CatalogueRecord]:
    """Read records written by :func:`save_records`."""
    data = pq.read_table(path).to_pydict()
    n = len(data["iri"])
    wkb = data["footprint"]
    geoms = shapely.from_wkb([w if w is not None else None for w in wkb]) if n else []

    def when(value: float | None) -> datetime | None:
        return None if value is None else datetime.fromtimestamp(value, tz=timezone.utc)

    out = []
    for i in range(n):  # one object per record
        record = CatalogueRecord(**{name: data[name][i] for name in _SCALARS})
        record.start, record.end = when(data["start"][i]), when(data["end"][i])
        record.footprint = geoms[i]
        record.derived_from = tuple(data["derived_from"][i] or ())
        record.names = tuple(data["names"][i] or ())
        record.contents = tuple(ConceptSummary(*c) for c in json.loads(data["contents"][i]))
        record.extra = json.loads(data["extra"][i])
        out.append(record)
    return out
