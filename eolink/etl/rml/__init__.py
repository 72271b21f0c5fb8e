"""The RML engine: RML / R2RML mappings (both vocabularies) executed over tables into N-Quads.

Mappings are data: Turtle files in the current RML vocabulary
(``http://w3id.org/rml/``) or the legacy one GeoTriples used
(``http://semweb.mmlab.be/ns/rml#`` with R2RML ``rr:``). Sources are CSV, JSON
(JSONPath), XML (XPath) files, or in-memory tables passed by name — the feature
table of a product is ``rml:source "features"``, its metadata row
``rml:source "product"``. Geometry functions (``eolf:asWKT`` and friends) are
FNML functions.

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
from collections.abc import Iterator, Mapping as AbstractMapping
from pathlib import Path

from eolink.errors import InputError
from eolink.etl.rml.executor import execute as _execute
from eolink.etl.rml.functions import FUNCTIONS, Function, register
from eolink.etl.rml.model import Mapping, TriplesMap
from eolink.etl.rml.parser import parse_mapping
from eolink.etl.rml.sources import Table

__all__ = [
    "load_mapping",
    "execute",
    "execute_to_file",
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


def execute(
    mapping: Mapping,
    *,
    sources: AbstractMapping[str, Table] | None = None,
    base_dir: Path | None = None,
    chunk_rows: int = 100_000,
) -> Iterator[str]:
    """Run ``mapping``, yielding blocks of N-Quads text.

    Triples in the default graph are written as N-Triples lines (no graph term).
    ``sources`` maps in-memory table names (as written in ``rml:source``) to
    DataFrames, GeoDataFrames or lists of dicts. Every source is read and every
    reference checked before the first block is yielded; rows whose references
    are missing produce no triple. Duplicate lines are removed within a block.

    Raises
    ------
    MappingError
        A reference is not a column of its source, or a function is unknown.
    InputError
        A source file is missing or unreadable.
    """
    return _execute(mapping, sources=sources, base_dir=base_dir, chunk_rows=chunk_rows)


def execute_to_file(mapping: Mapping, output: Path, **kw: object) -> int:
    """Run ``mapping`` into the N-Quads file ``output``; return the number of quads written.

    The file is written under a temporary name and renamed when complete, so a
    failed run leaves no partial output.
    """
    output = Path(output)
    partial = output.with_name(output.name + ".part")
    count = 0
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as fh:
            for block in execute(mapping, **kw):  # type: ignore[arg-type]
                fh.write(block)
                count += block.count("\n")
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return count
