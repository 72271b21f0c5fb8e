"""PostGIS tables or SQL queries -> GeoDataFrames (psycopg 3, server-side cursors).

:func:`read_postgis` reads a table (``table=``, optionally schema-qualified
``"schema.table"``) or the rows of a query (``query=``). Geometry columns
(PostGIS ``geometry`` type, detected from the result's type OIDs) become shapely
geometries; the CRS comes from their SRID (``ST_SRID``), else ``crs=``, else
:class:`~eolink.errors.CRSError`. A table or query without a geometry column is
returned as a plain DataFrame (R2RML over ordinary tables). :func:`iter_postgis`
yields the same rows in chunks through a server-side cursor, so a table larger
than memory is read piece by piece.

Connection strings: libpq (``"host=… port=… dbname=…"``), URLs
(``"postgresql://user@host:port/db"``) and JDBC URLs as written in d2rq
database descriptions (``"jdbc:postgresql://host:port/db"``, user and password
given separately).

>>> to_libpq("jdbc:postgresql://127.0.0.1:5432/gis", user="me")
'postgresql://me@127.0.0.1:5432/gis'
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from eolink.errors import CRSError, InputError

__all__ = ["read_postgis", "iter_postgis", "to_libpq", "table_query"]


def to_libpq(dsn: str, *, user: str | None = None, password: str | None = None) -> str:
    """A connection string psycopg accepts, from libpq, URL or JDBC form (credentials added to URLs).

    >>> to_libpq("host=localhost dbname=x")
    'host=localhost dbname=x'
    """
    text = dsn.strip()
    if text.startswith("jdbc:"):
        text = text[len("jdbc:"):]
    if text.startswith(("postgresql://", "postgres://")) and (user or password):
        scheme, rest = text.split("://", 1)
        if "@" not in rest.split("/", 1)[0]:
            cred = quote(user or "", safe="") + (f":{quote(password, safe='')}" if password else "")
            text = f"{scheme}://{cred}@{rest}"
    elif not text.startswith(("postgresql://", "postgres://")) and "=" in text:
        if user:
            text += f" user={user}"
        if password:
            text += f" password={password}"
    return text


def table_query(table: str) -> str:
    """``SELECT * FROM`` a (possibly schema-qualified) table, identifiers quoted.

    >>> table_query('public.Parcels')
    'SELECT * FROM "public"."Parcels"'
    """
    parts = table.strip().strip('"').split(".") if '"' not in table.strip('"') else [table.strip('"')]
    return "SELECT * FROM " + ".".join('"' + p.replace('"', '""') + '"' for p in parts)


def _connect(dsn: str) -> Any:
    import psycopg

    try:
        return psycopg.connect(to_libpq(dsn), connect_timeout=10)
    except psycopg.Error as err:
        raise InputError(f"cannot connect to the database {_safe(dsn)}: {str(err).strip().splitlines()[0]}") from err


def _safe(dsn: str) -> str:
    import re

    return re.sub(r"(password=)\S+|(://[^:/@]+:)[^@]+@", lambda m: (m.group(1) or m.group(2)) + "***" +
                  ("" if m.group(1) else "@"), dsn)


def _geometry_oids(conn: Any) -> set[int]:
    rows = conn.execute("SELECT oid FROM pg_type WHERE typname IN ('geometry', 'geography')").fetchall()
    return {int(r[0]) for r in rows}


def iter_postgis(
    dsn: str,
    *,
    table: str | None = None,
    query: str | None = None,
    geometry_column: str | None = None,
    crs: Any = None,
    chunk_rows: int = 100_000,
) -> Iterator[pd.DataFrame]:
    """Yield the rows of ``table`` or ``query`` in frames of at most ``chunk_rows`` rows.

    See :func:`read_postgis` for the parameters; every chunk has the same columns
    (an empty result yields one empty frame).
    """
    import psycopg
    import shapely

    if (table is None) == (query is None):
        raise InputError("give exactly one of table= or query=")
    sql = table_query(table) if table is not None else str(query)
    what = f"table {table!r}" if table is not None else "query"
    with _connect(dsn) as conn:
        geo_oids = _geometry_oids(conn)
        try:
            with conn.cursor(name="eolink_read") as cur:
                cur.itersize = chunk_rows
                cur.execute(sql)
                names = [d.name for d in cur.description]
                geo_cols = [d.name for d in cur.description if d.type_code in geo_oids]
                if geometry_column is not None and geometry_column not in names:
                    raise InputError(f"{what} has no column {geometry_column!r} (columns: {', '.join(names)})")
                if geometry_column is not None and geometry_column not in geo_cols:
                    raise InputError(f"column {geometry_column!r} of {what} is not a PostGIS geometry")
                main = geometry_column or (geo_cols[0] if geo_cols else None)
                resolved: Any = None
                first = True
                while True:
                    rows = cur.fetchmany(chunk_rows)
                    if not rows and not first:
                        return
                    frame = pd.DataFrame.from_records(rows, columns=names, coerce_float=True)
                    for col in geo_cols:
                        wkb = np.asarray(frame[col].to_numpy(), dtype=object)
                        frame[col] = shapely.from_wkb(wkb, on_invalid="raise")
                    if main is not None:
                        import geopandas as gpd

                        if resolved is None:
                            resolved = _crs_of(frame[main].to_numpy(), crs, what, main)
                        frame = gpd.GeoDataFrame(frame, geometry=main, crs=resolved)
                        for col in geo_cols:
                            if col != main:
                                frame[col] = gpd.GeoSeries(frame[col], crs=resolved)
                    first = False
                    yield frame
                    if not rows:
                        return
        except psycopg.Error as err:
            raise InputError(f"{what} failed: {str(err).strip().splitlines()[0]}") from err


def _crs_of(geoms: np.ndarray, given: Any, what: str, column: str) -> Any:
    import shapely
    from pyproj import CRS

    srids = {int(s) for s in shapely.get_srid(geoms[~shapely.is_missing(geoms)])} - {0}
    if len(srids) > 1:
        raise CRSError(f"column {column!r} of {what} mixes SRIDs {sorted(srids)}")
    if srids:
        return CRS.from_epsg(srids.pop())
    if given is None:
        raise CRSError(f"column {column!r} of {what} has no SRID; pass crs= (e.g. crs='EPSG:4326')")
    return CRS.from_user_input(given)


def read_postgis(
    dsn: str,
    *,
    table: str | None = None,
    query: str | None = None,
    geometry_column: str | None = None,
    crs: Any = None,
) -> pd.DataFrame:
    """Read a PostGIS table or query result.

    Parameters
    ----------
    dsn
        Connection string (libpq, ``postgresql://`` URL or ``jdbc:postgresql://`` URL).
    table, query
        Exactly one: a table name (``"schema.table"`` allowed) or a SQL query.
    geometry_column
        The geometry column of the result; default the first PostGIS geometry column.
    crs
        CRS to assume when the geometries have no SRID.

    Returns
    -------
    DataFrame
        A GeoDataFrame (CRS from the SRID) when the result has a geometry column, else a DataFrame;
        columns as in the result, in order.

    Raises
    ------
    InputError
        Cannot connect, unknown table or column, failing query.
    CRSError
        Geometries without SRID and no ``crs``; mixed SRIDs.

    Examples
    --------
    >>> read_postgis("host=127.0.0.1 port=1 dbname=x", table="t")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    eolink.errors.InputError: cannot connect to the database host=127.0.0.1 port=1 dbname=x: ...
    """
    frames = list(iter_postgis(dsn, table=table, query=query, geometry_column=geometry_column, crs=crs,
                               chunk_rows=1_000_000))
    if len(frames) == 1:
        return frames[0]
    out = pd.concat(frames, ignore_index=True)
    if hasattr(frames[0], "crs"):
        import geopandas as gpd

        out = gpd.GeoDataFrame(out, geometry=frames[0].geometry.name, crs=frames[0].crs)
    return out
