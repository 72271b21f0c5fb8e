"""The RML engine: RML / R2RML mappings (both vocabularies) executed over tables into N-Quads.

Mappings are data: Turtle files in the current RML vocabulary
(``http://w3id.org/rml/``) or the legacy one GeoTriples used
(``http://semweb.mmlab.be/ns/rml#`` with R2RML ``rr:``). Sources are CSV, JSON
(JSONPath), XML (XPath) files, or in-memory tables passed by name — the feature
table of a product is ``rml:source "features"``, its metadata row
``rml:source "product"``. Geometry functions (``eolf:asWKT`` and friends) are
FNML functions.

Vector files are sources too (reference formulation ``eolr:Features``,
``https://w3id.org/eolink/rml#Features``, implied by the suffixes .shp, .gpkg,
.geojson, .fgb, .parquet, .kml, .gml; ``rml:iterator`` names the layer), and so are
PostgreSQL/PostGIS tables and queries: ``rr:logicalTable [ rr:tableName | rr:sqlQuery ]``
read from ``execute(database=DSN)`` (``eolink map --database``), or
``rml:logicalSource [ rml:source <#DB>; rml:query "…" ]`` with ``<#DB> a d2rq:Database;
d2rq:jdbcDSN "jdbc:postgresql://host:port/db"`` (or a ``"postgresql://…"`` literal).
:mod:`eolink.etl.rml.streaming` runs a mapping over sources larger than memory,
chunk by chunk; :mod:`eolink.etl.distributed` runs it on a Dask cluster.

>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> mapping = load_mapping('''
... @prefix rml: <http://w3id.org/rml/> .
... @prefix eolf: <https://w3id.org/eolink/functions#> .
... @prefix geo: <http://www.opengis.net/ont/geosparql#> .
... <#G> rml:logicalSource [ rml:source "features"; rml:referenceFormulation rml:CSV ];
...   rml:subjectMap [ rml:template "https://ex.org/geometry/{id}" ];
...   rml:predicateObjectMap [ rml:predicate geo:asWKT;
...     rml:objectMap [ rml:datatype geo:wktLiteral; rml:functionExecution [ rml:function eolf:asWKT;
...       rml:input [ rml:parameter eolf:geometry; rml:inputValueMap [ rml:reference "geometry" ] ] ] ] ] .
... ''')
>>> gdf = gpd.GeoDataFrame({"id": ["1"]}, geometry=[Point(24.9, 60.2)], crs="EPSG:4326")
>>> print("".join(execute(mapping, sources={"features": gdf})), end="")
<https://ex.org/geometry/1> <http://www.opengis.net/ont/geosparql#asWKT> "POINT (24.9 60.2)"^^<http://www.opengis.net/ont/geosparql#wktLiteral> .
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from eolink.errors import InputError
from eolink.etl.rml.executor import execute
from eolink.etl.rml.functions import FUNCTIONS, Function, register
from eolink.etl.rml.model import Mapping, TriplesMap
from eolink.etl.rml.parser import parse_mapping
from eolink.etl.rml.sources import Table

__all__ = [
    "load_mapping",
    "execute",
    "execute_to_file",
    "write_blocks",
    "Mapping",
    "TriplesMap",
    "Table",
    "Function",
    "FUNCTIONS",
    "register",
]

_TURTLE_HINTS = ("\n", "@prefix", "@base", "PREFIX", "BASE", "[", ";")


def load_mapping(source: Path | str, *, base_dir: Path | None = None) -> Mapping:
    """Parse a mapping from a Turtle file path or from Turtle text.

    Relative source paths are later resolved against ``base_dir``, by default the
    mapping file's directory (the working directory for text).

    Raises
    ------
    InputError
        ``source`` is a path that does not exist.
    MappingError
        The mapping is malformed.
    """
    if isinstance(source, Path) or not any(h in source for h in _TURTLE_HINTS):
        path = Path(source)
        if not path.is_file():
            raise InputError(f"mapping file {path} does not exist")
        text = path.read_text(encoding="utf-8")
        return parse_mapping(text, origin=str(path), base_dir=base_dir or path.resolve().parent)
    return parse_mapping(source, base_dir=base_dir)


def write_blocks(blocks: Iterable[str | bytes | memoryview], output: Path) -> int:
    """Write blocks of N-Triples/N-Quads text (str, or UTF-8 bytes) to ``output``; return the number of lines.

    The file is written under a temporary name (``output`` + ``.part``) and renamed
    when complete, so a failed or interrupted run (``KeyboardInterrupt`` included)
    leaves no partial output.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "x.nt"
    >>> write_blocks(["<a:s> <a:p> <a:o> .\\n"], out), out.read_text()
    (1, '<a:s> <a:p> <a:o> .\\n')
    """
    output = Path(output)
    partial = output.with_name(output.name + ".part")
    count = 0
    try:
        with partial.open("wb") as fh:
            for block in blocks:
                data = block.encode("utf-8") if isinstance(block, str) else block
                fh.write(data)
                count += _count_newlines(data)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return count


def _count_newlines(data: bytes | memoryview) -> int:
    return (data if isinstance(data, bytes) else bytes(data)).count(b"\n")


def execute_to_file(mapping: Mapping, output: Path, *, streaming: bool = True, **kw: Any) -> int:
    """Run ``mapping`` into the N-Quads file ``output``; return the number of quads written.

    With ``streaming`` (default) chunkable sources are read a chunk at a time
    (:func:`eolink.etl.rml.streaming.execute_streaming`); keyword arguments go to the
    executor. A failed run leaves no partial output (see :func:`write_blocks`).
    """
    from eolink.etl.rml.streaming import execute_streaming

    blocks = execute_streaming(mapping, binary=True, **kw) if streaming else execute(mapping, binary=True, **kw)
    return write_blocks(blocks, output)
