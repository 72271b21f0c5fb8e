"""Draft an editable RML mapping from the schema of a vector/tabular source (GeoTriples' "generate mapping").

:func:`draft_mapping` reads a source's schema through the readers — any vector
file :func:`eolink.etl.readers.vector.read_features` reads (Shapefile,
GeoPackage, GeoJSON, FlatGeobuf, GeoParquet, CSV with WKT or lon/lat columns,
KML, GML) or a PostGIS table — and writes Turtle in the current RML vocabulary:

* per layer, a logical source (``eolr:Features`` with the layer as
  ``rml:iterator``; a PostGIS table as ``rml:query`` over a ``d2rq:Database``),
  a feature triples map (``a geo:Feature, <class>``, one property per attribute
  with the XSD datatype of its column, ``geo:hasGeometry``/``geo:hasDefaultGeometry``)
  and a geometry triples map (``a geo:Geometry``, ``geo:asWKT`` through the FNML
  function ``eolf:asWKT``, which prefixes the CRS IRI unless the CRS is CRS84);
* comments marking what a user usually edits (class and property IRIs, the
  subject template, datatypes inferred from a sample).

File paths are written relative to the mapping's folder (``rml:root
rml:MappingDirectory``), so the mapping runs with ``eolink map`` from anywhere.

>>> import tempfile, geopandas as gpd
>>> from shapely.geometry import Point
>>> folder = Path(tempfile.mkdtemp())
>>> gpd.GeoDataFrame({"name": ["a"], "height": [3]}, geometry=[Point(1, 2)], crs=4326).to_file(folder / "poi.geojson")
>>> text = draft_mapping(folder / "poi.geojson", mapping_dir=folder)
>>> "rml:reference \\"height\\" ; rml:datatype xsd:integer" in text
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from eolink.errors import InputError

__all__ = ["draft_mapping", "LayerSchema", "read_schema", "xsd_datatype"]

XSD = "http://www.w3.org/2001/XMLSchema#"
_SAMPLE_ROWS = 1000


@dataclass(frozen=True)
class LayerSchema:
    """What a draft needs to know about one layer."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (column, xsd local name)
    geometry: str | None  # geometry column
    crs: str | None  # CRS as text (for the comment)
    geometry_types: tuple[str, ...]
    id_column: str  # column identifying a row (the reader's row number "id" for files)


def xsd_datatype(values: pd.Series) -> str:
    """The XSD datatype (local name) for a column of values, from its dtype or, for strings, its content.

    >>> xsd_datatype(pd.Series([1, 2])), xsd_datatype(pd.Series(["1.5", "2"])), xsd_datatype(pd.Series(["a"]))
    ('integer', 'double', 'string')
    """
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        present = values.dropna()
        return "integer" if len(present) and bool((present == present.round()).all()) and \
            values.isna().any() else "double"
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return "dateTime"
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "integer":
        return "integer"
    if kind in ("floating", "mixed-integer-float"):
        return "double"
    if kind == "decimal":
        return "decimal"
    if kind == "boolean":
        return "boolean"
    if kind in ("datetime", "datetime64"):
        return "dateTime"
    if kind == "date":
        return "date"
    if kind == "string":
        text = values.dropna().astype(str).str.strip()
        if len(text) == 0:
            return "string"
        if text.str.fullmatch(r"[+-]?\d+").all():
            return "integer"
        if text.str.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?").all():
            return "double"
        if text.isin(["true", "false"]).all():
            return "boolean"
        if text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all():
            return "date"
        if text.str.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?").all():
            return "dateTime"
    return "string"


def _schema_of(name: str, frame: pd.DataFrame, geometry: str | None, id_column: str) -> LayerSchema:
    import shapely

    # files: "id" is the reader's row number (in the subject IRI), not an attribute
    columns = tuple((c, xsd_datatype(frame[c])) for c in frame.columns
                    if c != geometry and (c != "id" or id_column != "id"))
    crs = getattr(frame, "crs", None) if geometry else None
    types: tuple[str, ...] = ()
    if geometry:
        geoms = frame[geometry].to_numpy()
        types = tuple(sorted({str(t) for t in shapely.get_type_id(geoms[~shapely.is_missing(geoms)])}))
        names = ["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon",
                 "GeometryCollection"]
        types = tuple(names[int(t)] for t in types)
    return LayerSchema(name, columns, geometry, None if crs is None else crs.to_string(), types, id_column)


def read_schema(source: Path | str, *, layer: str | None = None, table: str | None = None,
                id_column: str | None = None) -> list[LayerSchema]:
    """The schemas of the layers of a file (or of one ``layer``), or of a PostGIS ``table`` (``source`` a DSN)."""
    if table is not None:
        from eolink.etl.readers.postgis import read_postgis, table_query

        frame = read_postgis(str(source), query=f"{table_query(table)} LIMIT {_SAMPLE_ROWS}")
        import geopandas as gpd

        geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
        key = id_column or _primary_key(str(source), table)
        if key not in frame.columns:
            raise InputError(f"table {table!r} has no column {key!r} to identify rows")
        return [_schema_of(table, frame, geometry, key)]
    from eolink.etl.readers.vector import iter_features, list_layers

    path = Path(source)
    layers = [layer] if layer is not None else list_layers(path)
    out = []
    for name in layers:
        sample = next(iter_features(path, chunk_rows=_SAMPLE_ROWS, stop=_SAMPLE_ROWS,
                                    layer=name if len(layers) > 1 or layer is not None else None), None)
        if sample is None:
            raise InputError(f"{path.name}: layer {name!r} has no features to draft a mapping from")
        if id_column is not None and id_column not in sample.columns:
            raise InputError(f"{path.name}: layer {name!r} has no column {id_column!r}")
        out.append(_schema_of(name, sample, "geometry", id_column or "id"))
    return out


def _primary_key(dsn: str, table: str) -> str:
    import psycopg

    from eolink.etl.readers.postgis import to_libpq

    sql = ("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
           "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary")
    try:
        with psycopg.connect(to_libpq(dsn)) as conn:
            rows = conn.execute(sql, (table,)).fetchall()
    except psycopg.Error as err:
        raise InputError(f"cannot read the primary key of {table!r}: {str(err).strip().splitlines()[0]}") from err
    if len(rows) != 1:
        raise InputError(f"table {table!r} has no single-column primary key; pass the id column (--id COLUMN)")
    return str(rows[0][0])


def _local(name: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_") or "value"
    return text if not text[0].isdigit() else f"_{text}"


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", name) if p) or "Feature"


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _template_ref(name: str) -> str:
    return name.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")


def draft_mapping(
    source: Path | str,
    *,
    mapping_dir: Path | None = None,
    class_iri: str | None = None,
    base_iri: str | None = None,
    layer: str | None = None,
    table: str | None = None,
    id_column: str | None = None,
) -> str:
    """Turtle of an RML mapping drafted from ``source``'s schema (see the module docstring).

    Parameters
    ----------
    source
        A vector file, or a PostgreSQL connection string with ``table``.
    mapping_dir
        Folder the mapping will be saved in (file paths are written relative to it);
        default the source's folder.
    class_iri
        Class of the features (besides ``geo:Feature``); default ``{base}vocab#{Layer}``.
    base_iri
        Namespace of minted IRIs; default ``https://example.org/{name}/``.
    layer, table, id_column
        One layer only; the PostGIS table; the column identifying rows (default the
        reader's row number ``id`` for files, the primary key for tables).

    Raises
    ------
    InputError
        Unreadable source, empty layer, no usable id column.
    """
    schemas = read_schema(source, layer=layer, table=table, id_column=id_column)
    stem = _local(table or Path(str(source)).stem)
    base = base_iri or f"https://example.org/{stem}/"
    if not base.endswith(("/", "#")):
        base += "/"
    lines = [
        f"# RML mapping drafted by `eolink mapping draft` from {table or Path(str(source)).name}.",
        "# EDIT: the vocabulary (voc:) is a placeholder - replace property and class IRIs with real ones,",
        "# check each rml:datatype (inferred from the first rows), and the subject templates (IRIs of features).",
        "# Run it with: eolink map --mapping THIS_FILE --output out.nt",
        "",
        "@prefix rml: <http://w3id.org/rml/> .",
        "@prefix eolr: <https://w3id.org/eolink/rml#> .",
        "@prefix eolf: <https://w3id.org/eolink/functions#> .",
        "@prefix geo: <http://www.opengis.net/ont/geosparql#> .",
        "@prefix d2rq: <http://www.wiwiss.fu-berlin.de/suhl/bizer/D2RQ/0.1#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        f"@prefix voc: <{base}vocab#> .",
        "@prefix : <#> .",
        "",
    ]
    if table is not None:
        lines += [":Database a d2rq:Database ;",
                  f"    # EDIT: connection (credentials may also go in d2rq:username / d2rq:password)",
                  f"    d2rq:jdbcDSN {_lit(str(source))} .", ""]
    for schema in schemas:
        tm = _camel(schema.name)
        cls = class_iri or f"{base}vocab#{tm}"
        ref_id = _template_ref(schema.id_column)
        segment = _local(schema.name)
        lines.append(f"# layer {schema.name!r}: geometry {', '.join(schema.geometry_types) or 'none'}"
                     f"{'' if schema.crs is None else ' in ' + schema.crs}")
        lines.append(f":{tm}Source a rml:LogicalSource ;")
        if table is not None:
            from eolink.etl.readers.postgis import table_query

            lines += ["    rml:source :Database ;", f"    rml:query {_lit(table_query(table))} ."]
        else:
            path = Path(str(source)).resolve()
            folder = (mapping_dir or path.parent).resolve()
            try:
                rel = path.relative_to(folder).as_posix()
            except ValueError:
                import os

                rel = os.path.relpath(path, folder)
            lines += ["    rml:source [ a rml:RelativePathSource ; rml:root rml:MappingDirectory ;",
                      f"                 rml:path {_lit(rel)} ] ;",
                      "    rml:referenceFormulation eolr:Features ;",
                      f"    rml:iterator {_lit(schema.name)} ."]
        lines += ["",
                  f":{tm} a rml:TriplesMap ;",
                  f"    rml:logicalSource :{tm}Source ;",
                  "    # EDIT: the feature IRI template and the class",
                  f"    rml:subjectMap [ rml:template {_lit(base + segment + '/{' + ref_id + '}')} ;",
                  f"                     rml:class geo:Feature, <{cls}> ] ;",
                  "    rml:predicateObjectMap"]
        poms = []
        for column, datatype in schema.columns:
            poms.append(f"        [ rml:predicate voc:{_local(column)} ;\n"
                        f"          rml:objectMap [ rml:reference {_lit(column)} ; rml:datatype xsd:{datatype} ] ]")
        if schema.geometry:
            poms.append(f"        [ rml:predicate geo:hasGeometry, geo:hasDefaultGeometry ;\n"
                        f"          rml:objectMap [ rml:template {_lit(base + segment + '/{' + ref_id + '}/geometry')} ] ]")
        lines.append(" ,\n".join(poms) + " .")
        lines.append("")
        if schema.geometry:
            lines += [f":{tm}Geometry a rml:TriplesMap ;",
                      f"    rml:logicalSource :{tm}Source ;",
                      f"    rml:subjectMap [ rml:template {_lit(base + segment + '/{' + ref_id + '}/geometry')} ;",
                      "                     rml:class geo:Geometry ] ;",
                      "    # geo:asWKT with the CRS IRI in front unless the CRS is CRS84 (GeoSPARQL 1.1)",
                      "    rml:predicateObjectMap [ rml:predicate geo:asWKT ;",
                      "        rml:objectMap [ rml:datatype geo:wktLiteral ;",
                      "            rml:functionExecution [ rml:function eolf:asWKT ;",
                      "                rml:input [ rml:parameter eolf:geometry ;",
                      f"                            rml:inputValueMap [ rml:reference {_lit(schema.geometry)} ] ] ] ] ] .",
                      ""]
    return "\n".join(lines)
