"""Logical-source readers: files and in-memory tables -> pandas DataFrames.

One reader per reference formulation, registered in :data:`READERS`; besides
CSV, JSONPath and XPath, ``Features`` reads vector files (Shapefile, GeoPackage,
GeoJSON, FlatGeobuf, GeoParquet, KML, GML; ``rml:iterator`` names the layer)
through :func:`eolink.etl.readers.vector.read_features` — columns ``id`` (row
number), the attributes and ``geometry`` — and ``SQL`` reads a PostGIS/PostgreSQL
table or query through :func:`eolink.etl.readers.postgis.read_postgis`. A reader
returns one row per iteration; for CSV and in-memory tables the columns are the
table's, for JSONPath and XPath they are the references the mapping uses (a
reference that matches nothing in any record gets no column, so the executor
can report it). Values are kept as read; a JSON array or several XPath matches
become a Python list (one term per element).

>>> import pandas as pd
>>> frame = load_source(LogicalSource("features", "CSV"), references={"id"},
...                     tables={"features": [{"id": "a"}, {"id": "b"}]})
>>> list(frame["id"])
['a', 'b']
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping as AbstractMapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from eolink.errors import InputError, MappingError
from eolink.etl.rml.model import LogicalSource

__all__ = ["SourceReader", "READERS", "load_source", "source_key", "Table"]

#: What callers may pass as an in-memory source.
Table = pd.DataFrame | Sequence[AbstractMapping[str, Any]]

_MISSING = object()
_SIMPLE_KEY = re.compile(r"^[^.$@\[\]*()?]+$")


class SourceReader(Protocol):
    """Reads a file into a DataFrame (see the module docstring)."""

    def __call__(self, path: Path, iterator: str | None, references: Collection[str]) -> pd.DataFrame: ...


def read_csv(path: Path, iterator: str | None, references: Collection[str]) -> pd.DataFrame:
    """CSV with a header row; every value a string, empty cells missing."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (UnicodeDecodeError, pd.errors.ParserError) as err:
        raise InputError(f"{path}: not a readable CSV file: {err}") from err


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value) if not isinstance(value, str) else value
    if isinstance(value, list):
        return [v for v in (_json_value(x) for x in value) if v is not None and not isinstance(v, list)]
    return json.dumps(value, ensure_ascii=False)


def read_json(path: Path, iterator: str | None, references: Collection[str]) -> pd.DataFrame:
    """JSON; ``iterator`` and references are JSONPath (a plain key is read directly)."""
    from jsonpath_ng.ext import parse

    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not valid JSON: {err}") from err
    try:
        records = [m.value for m in parse(iterator or "$").find(data)]
    except Exception as err:  # jsonpath-ng raises lexer, parser and plain errors alike
        raise MappingError(f"{path.name}: invalid JSONPath iterator {iterator!r}: {err}") from err
    columns: dict[str, list[Any]] = {}
    # JSON records are Python dicts: reading them is a loop by nature
    for ref in references:
        if _SIMPLE_KEY.match(ref):
            raw = [r.get(ref, _MISSING) if isinstance(r, dict) else _MISSING for r in records]
        else:
            try:
                expr = parse(ref if ref.startswith("$") else ref.replace("@", "$", 1) if ref.startswith("@") else f"$.{ref}")
            except Exception as err:
                raise MappingError(f"invalid JSONPath reference {ref!r}: {err}") from err
            raw = []
            for r in records:
                found = [m.value for m in expr.find(r)]
                raw.append(_MISSING if not found else found[0] if len(found) == 1 else found)
        if records and all(v is _MISSING for v in raw):
            continue
        columns[ref] = [None if v is _MISSING else _json_value(v) for v in raw]
    return pd.DataFrame(columns, index=pd.RangeIndex(len(records)), dtype=object)


def read_xml(path: Path, iterator: str | None, references: Collection[str]) -> pd.DataFrame:
    """XML; ``iterator`` and references are XPath (references relative to each node)."""
    from lxml import etree

    try:
        tree = etree.parse(str(path))
    except (etree.XMLSyntaxError, OSError) as err:
        raise InputError(f"{path}: not valid XML: {err}") from err
    root = tree.getroot()
    namespaces = {k: v for k, v in (root.nsmap or {}).items() if k}
    try:
        nodes = tree.xpath(iterator or "/*", namespaces=namespaces)
    except etree.XPathError as err:
        raise MappingError(f"{path.name}: invalid XPath iterator {iterator!r}: {err}") from err
    if not isinstance(nodes, list):
        nodes = [nodes]

    def text(item: Any) -> str:
        if isinstance(item, etree._Element):
            return "".join(item.itertext())
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, float):
            return str(int(item)) if item.is_integer() else repr(item)
        return str(item)

    columns: dict[str, list[Any]] = {}
    # lxml evaluates XPath node by node: there is no columnar XPath
    for ref in references:
        try:
            expr = etree.XPath(ref, namespaces=namespaces)
        except etree.XPathError as err:
            raise MappingError(f"invalid XPath reference {ref!r}: {err}") from err
        raw: list[Any] = []
        for node in nodes:
            found = expr(node)
            if not isinstance(found, list):
                found = [found]
            raw.append(_MISSING if not found else text(found[0]) if len(found) == 1 else [text(f) for f in found])
        if nodes and all(v is _MISSING for v in raw):
            continue
        columns[ref] = [None if v is _MISSING else v for v in raw]
    return pd.DataFrame(columns, index=pd.RangeIndex(len(nodes)), dtype=object)


def read_vector_features(path: Path, iterator: str | None, references: Collection[str]) -> pd.DataFrame:
    """A vector file as a feature table (``iterator``: layer name or index)."""
    from eolink.etl.readers.vector import read_features

    layer: str | int | None = iterator
    if iterator is not None and iterator.isdigit():
        layer = int(iterator)
    return read_features(path, layer=layer)


#: reference formulation -> file reader.
READERS: dict[str, Callable[[Path, str | None, Collection[str]], pd.DataFrame]] = {
    "CSV": read_csv,
    "JSONPath": read_json,
    "XPath": read_xml,
    "Features": read_vector_features,
}


def source_key(source: LogicalSource) -> str:
    """The key under which an in-memory table replaces ``source`` in ``tables``.

    The source text (file path or table name), or ``"sql:"`` + the query for SQL sources.

    >>> source_key(LogicalSource("db", "SQL", "SELECT 1"))
    'sql:SELECT 1'
    """
    return f"sql:{source.iterator}" if source.formulation == "SQL" else source.source


def load_source(
    source: LogicalSource,
    *,
    references: Collection[str],
    tables: AbstractMapping[str, Table] | None = None,
    base_dir: Path | None = None,
    database: str | None = None,
) -> pd.DataFrame:
    """Rows of ``source``: an in-memory table when its name is a key of ``tables``, else a file or database.

    ``database`` is the connection string used by SQL sources that name none
    (R2RML ``rr:logicalTable``): a table name that is not a key of ``tables`` is
    then read from it.
    """
    key = source_key(source)
    if source.formulation == "SQL" and not (tables is not None and key in tables):
        from eolink.etl.readers.postgis import read_postgis

        dsn = source.source or database
        if not dsn:
            raise MappingError("SQL logical source but no database: give one in the mapping (d2rq:Database) "
                               "or as database= / --database")
        return read_postgis(dsn, query=source.iterator)
    if tables is not None and key in tables:
        table = tables[key]
        frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame.from_records(list(table))
        if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 or frame.index.step != 1:
            frame = frame.reset_index(drop=True)
        return frame
    if source.formulation == "table":
        if database:
            from eolink.etl.readers.postgis import read_postgis

            return read_postgis(database, table=source.source)
        raise MappingError(f"no in-memory table named {source.source!r} was given (nor a database= to read it from)")
    base = Path.cwd() if source.relative_to == "cwd" or base_dir is None else base_dir
    path = Path(source.source)
    if not path.is_absolute():
        path = base / path
    if not path.is_file():
        hint = "" if path.suffix else f" (and no in-memory table named {source.source!r} was given)"
        raise InputError(f"source file {path} does not exist{hint}")
    return READERS[source.formulation](path, source.iterator, references)
