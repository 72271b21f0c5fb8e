"""The two sides of a link run: feature sets selected from a store or read from files.

A *selector* names a feature set:

=====================  ==================================================================
``graph:IRI``          the features (``geo:hasDefaultGeometry``) of one named graph
``class:IRI``          the features of one class, in any graph
``query:@FILE.rq``     a SPARQL SELECT returning ``?feature ?wkt`` (``query:SELECT …`` inline)
a file path            a product file read by :func:`eolink.etl.readers.read_product`
a bare ``http(s)`` IRI  same as ``graph:IRI``
=====================  ==================================================================

Every feature set carries its IRIs, geometries in one CRS (an IRI; geometries of
several CRSs are reprojected to the most common one), optionally each feature's
time interval (for time-aware linking) and its literal values (for entity
matching). Empty sets, features without geometry, invalid geometries and files
without a CRS raise :class:`~eolink.errors.InputError` subclasses naming the source.

>>> parse_selector("class:https://w3id.org/eolink/ontology#CropField")
Selector(kind='class', value='https://w3id.org/eolink/ontology#CropField')
>>> parse_selector("https://w3id.org/eolink/resource/product/p").kind
'graph'
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from eolink.errors import CRSError, GeometryError, InputError
from eolink.ontology import CRS84, EOL, GEO, RESOURCE, SOSA, TIME, XSD
from eolink.sparql.geosparql.literals import crs_to_iri, parse_wkt_array, transform_geometry
from eolink.stores.base import Store

__all__ = [
    "Selector",
    "FeatureSet",
    "INVALID_POLICIES",
    "parse_selector",
    "load_feature_set",
    "features_from_store",
    "features_from_file",
    "features_from_geodataframe",
    "feature_iris_for_table",
    "store_times",
    "store_values",
]

#: What to do with invalid geometries: raise (default), repair with ``make_valid``, or skip the feature.
INVALID_POLICIES = ("raise", "repair", "skip")

_DAY_S = 86_400.0


@dataclass(frozen=True)
class Selector:
    """A parsed feature-set selector."""

    kind: str  # graph | class | query | file
    value: str

    @property
    def label(self) -> str:
        """A short, IRI-safe name of the selection (used in link-graph IRIs)."""
        if self.kind == "graph":
            return _tail(self.value)
        if self.kind == "class":
            return _tail(self.value)
        if self.kind == "query":
            return "query-" + hashlib.sha1(self.value.encode()).hexdigest()[:8]
        return re.sub(r"[^A-Za-z0-9._-]+", "_", Path(self.value).stem) or "file"


def _tail(iri: str) -> str:
    tail = re.split(r"[/#]", iri.rstrip("/#"))[-1]
    return re.sub(r"[^A-Za-z0-9._-]+", "_", tail) or "x"


@dataclass
class FeatureSet:
    """Features to link: IRIs, geometries in one CRS (an IRI), optional times and literal values.

    ``times`` is an ``(n, 2)`` float array of POSIX seconds (start, end), NaN where unknown.
    ``values`` is a long table ``(row, key, value)`` of each feature's literals (names, tags…).
    ``used`` are the IRIs the run's provenance records as ``prov:used``.
    """

    iris: np.ndarray
    geometries: np.ndarray
    crs: str
    selector: Selector | None = None
    times: np.ndarray | None = None
    values: pd.DataFrame | None = None
    used: list[str] = field(default_factory=list)
    repaired: int = 0
    skipped: int = 0

    def __len__(self) -> int:
        return len(self.iris)

    @property
    def label(self) -> str:
        """Short name of the set (its selector's)."""
        return self.selector.label if self.selector else "features"

    def to_crs(self, crs: str) -> FeatureSet:
        """The same features with geometries reprojected to ``crs`` (an IRI)."""
        if crs == self.crs:
            return self
        return replace(self, geometries=np.asarray(transform_geometry(self.geometries, self.crs, crs), dtype=object), crs=crs)

    def subset(self, rows: np.ndarray) -> FeatureSet:
        """Only the features at ``rows`` (positions)."""
        values = None
        if self.values is not None:
            position = np.full(len(self), -1)
            position[rows] = np.arange(len(rows))
            values = self.values[np.isin(self.values["row"].to_numpy(), rows)].copy()
            values["row"] = position[values["row"].to_numpy()]
        return replace(
            self,
            iris=self.iris[rows],
            geometries=self.geometries[rows],
            times=None if self.times is None else self.times[rows],
            values=values,
        )


def parse_selector(text: str) -> Selector:
    """Parse ``graph:IRI``, ``class:IRI``, ``query:@file.rq`` / ``query:SPARQL``, an IRI or a file path.

    >>> parse_selector("graph:http://example.org/g")
    Selector(kind='graph', value='http://example.org/g')
    >>> parse_selector("query:SELECT ?feature ?wkt WHERE {}").kind
    'query'
    """
    text = text.strip()
    if not text:
        raise InputError("empty selector; use graph:IRI, class:IRI, query:@FILE.rq or a file path")
    head, sep, rest = text.partition(":")
    if sep and head in ("graph", "class"):
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", rest.strip()):
            raise InputError(f"selector {text!r}: {head}: needs an absolute IRI")
        return Selector(head, rest.strip())
    if sep and head == "query":
        rest = rest.strip()
        if rest.startswith("@"):
            path = Path(rest[1:])
            try:
                rest = path.read_text(encoding="utf-8")
            except OSError as err:
                raise InputError(f"selector {text!r}: cannot read {path}: {err}") from err
        if not rest.strip():
            raise InputError(f"selector {text!r}: empty query")
        return Selector("query", rest)
    if re.match(r"^https?://", text):
        return Selector("graph", text)
    return Selector("file", text)


# ----------------------------------------------------------------------------- store


def _pattern(selector: Selector) -> str:
    if selector.kind == "graph":
        return f"GRAPH <{selector.value}> {{ ?feature <{GEO}hasDefaultGeometry> ?geometry . ?geometry <{GEO}asWKT> ?wkt . }}"
    if selector.kind == "class":
        return f"?feature a <{selector.value}> ; <{GEO}hasDefaultGeometry> ?geometry . ?geometry <{GEO}asWKT> ?wkt ."
    raise ValueError(selector.kind)


def features_from_store(
    store: Store,
    selector: Selector | str,
    *,
    invalid: str = "raise",
    with_times: bool = False,
    with_values: bool = False,
) -> FeatureSet:
    """The features a ``graph:``, ``class:`` or ``query:`` selector picks from ``store``.

    Examples
    --------
    >>> from eolink.stores import open_store
    >>> store = open_store(None)
    >>> _ = store.load("http://example.org/g", '@prefix geo: <http://www.opengis.net/ont/geosparql#> . '
    ...     '<http://example.org/f> geo:hasDefaultGeometry [ geo:asWKT "POINT (24.9 60.2)"^^geo:wktLiteral ] .', fmt="ttl")
    >>> features_from_store(store, "graph:http://example.org/g").iris.tolist()
    ['http://example.org/f']
    """
    sel = parse_selector(selector) if isinstance(selector, str) else selector
    if sel.kind == "file":
        raise InputError(f"{sel.value}: a file, not a store selection")
    if sel.kind == "query":
        result = store.query(sel.value)
        if result.kind != "select" or not {"feature", "wkt"} <= set(result.variables):
            raise InputError("a query: selector must be a SELECT returning ?feature and ?wkt")
        fi, wi = result.variables.index("feature"), result.variables.index("wkt")
        rows = [(r[fi], r[wi]) for r in result.rows if r[fi] is not None and r[wi] is not None]
        where = f"query {sel.label}"
        used: list[str] = []
    else:
        result = store.query(f"SELECT DISTINCT ?feature ?wkt WHERE {{ {_pattern(sel)} }}")
        rows = [(r[0], r[1]) for r in result.rows]
        where = f"<{sel.value}>" if sel.kind == "graph" else f"class <{sel.value}>"
        used = [sel.value]
    if not rows:
        raise InputError(f"{where} selects no features with geometries")
    iris = np.array([r[0].value for r in rows], dtype=object)
    order = np.argsort(iris, kind="stable")
    iris = iris[order]
    lexicals = [rows[k][1].value for k in order]
    try:
        geometries, crss = parse_wkt_array(lexicals)
    except GeometryError as err:
        raise GeometryError(f"{where}: {err}") from err
    values, counts = np.unique(crss, return_counts=True)
    crs = str(values[np.argmax(counts)])
    for other in values:
        if other != crs:
            mask = crss == other
            geometries[mask] = transform_geometry(geometries[mask], str(other), crs)
    if len(np.unique(iris)) != len(iris):
        raise InputError(f"{where}: some features have several default geometries")
    fs = FeatureSet(iris, np.asarray(geometries, dtype=object), crs, selector=sel, used=used)
    if with_times:
        fs.times = store_times(store, iris)
    if with_values:
        fs.values = store_values(store, iris)
    return _check(fs, where, invalid)


def _to_seconds(values: pd.Series) -> np.ndarray:
    parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    seconds = (parsed - pd.Timestamp("1970-01-01", tz="UTC")) / pd.Timedelta(seconds=1)
    return seconds.to_numpy(dtype=np.float64, na_value=np.nan)


def store_times(store: Store, iris: np.ndarray) -> np.ndarray:
    """(start, end) per feature: feature times first (sensing, result, phenomenon time), else its product's."""
    query = f"""
        SELECT ?f ?s ?e WHERE {{
          {{ ?f <{EOL}sensingStart> ?s . OPTIONAL {{ ?f <{EOL}sensingEnd> ?e }} BIND(1 AS ?rank) }}
          UNION {{ ?f <{SOSA}resultTime> ?s . BIND(2 AS ?rank) }}
          UNION {{ ?f <{SOSA}phenomenonTime> ?s . FILTER(isLiteral(?s)) BIND(3 AS ?rank) }}
          UNION {{ ?f <{SOSA}phenomenonTime> ?t . ?t <{TIME}hasBeginning>/<{TIME}inXSDDateTimeStamp> ?s .
                   OPTIONAL {{ ?t <{TIME}hasEnd>/<{TIME}inXSDDateTimeStamp> ?e }} BIND(4 AS ?rank) }}
          UNION {{ ?f <{EOL}inProduct> ?p . ?p <{EOL}timeStart> ?s . OPTIONAL {{ ?p <{EOL}timeEnd> ?e }} BIND(5 AS ?rank) }}
        }} ORDER BY ?rank"""
    rows = store.query(query).rows
    times = np.full((len(iris), 2), np.nan)
    if not rows:
        return times
    frame = pd.DataFrame({
        "f": [r[0].value for r in rows],
        "s": [r[1].value if r[1] is not None else None for r in rows],
        "e": [r[2].value if r[2] is not None else None for r in rows],
    }).drop_duplicates("f", keep="first")
    frame["e"] = frame["e"].fillna(frame["s"])
    position = pd.Series(np.arange(len(iris)), index=iris)
    frame = frame[frame["f"].isin(position.index)]
    rows_at = position.loc[frame["f"]].to_numpy()
    times[rows_at, 0] = _to_seconds(frame["s"])
    times[rows_at, 1] = _to_seconds(frame["e"])
    return times


_TEXT_TYPES = {XSD + "string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}


def store_values(store: Store, iris: np.ndarray) -> pd.DataFrame:
    """Each feature's string literals and the notations of the concepts it points to, as (row, key, value)."""
    query = """SELECT ?f ?p ?o WHERE {
        { ?f ?p ?o . FILTER(isLiteral(?o)) }
        UNION { ?f ?p ?c . ?c <http://www.w3.org/2004/02/skos/core#notation> ?o . }
    }"""
    position = pd.Series(np.arange(len(iris)), index=iris)
    out = []
    for f, p, o in store.query(query).rows:
        if f.value not in position.index:
            continue
        if getattr(o, "datatype", None) is not None and o.datatype.value not in _TEXT_TYPES and not o.language:
            continue
        out.append((int(position[f.value]), _tail(p.value), o.value))
    return pd.DataFrame(out, columns=["row", "key", "value"])


# ----------------------------------------------------------------------------- files


def feature_iris_for_table(table: object) -> np.ndarray:
    """The IRIs ingestion gives the rows of a feature table (see docs/vocabulary.md).

    >>> import geopandas as gpd, shapely
    >>> from eolink.etl.table import FeatureTable, ProductRecord
    >>> gdf = gpd.GeoDataFrame({"id": ["7"]}, geometry=[shapely.Point(0, 0)], crs="EPSG:32635")
    >>> feature_iris_for_table(FeatureTable(gdf, ProductRecord("p", "crop-type-map", "t"))).tolist()
    ['https://w3id.org/eolink/resource/feature/p/7']
    """
    frame = table.features  # type: ignore[attr-defined]
    product = table.product  # type: ignore[attr-defined]
    ids = frame["id"].astype(str)
    if product.product_type == "osm-extract" and {"osm_type", "osm_id"} <= set(frame.columns):
        return ("https://www.openstreetmap.org/" + frame["osm_type"].astype(str) + "/" + frame["osm_id"].astype(str)).to_numpy(dtype=object)
    if product.product_type == "scene-catalogue":
        return (RESOURCE + "scene/" + ids.str.removesuffix(".SAFE")).to_numpy(dtype=object)
    return (f"{RESOURCE}feature/{product.product_id}/" + ids).to_numpy(dtype=object)


def features_from_geodataframe(
    frame: object,
    *,
    iris: np.ndarray | list[str] | None = None,
    iri_prefix: str = "urn:eolink:feature:",
    invalid: str = "raise",
    times: np.ndarray | None = None,
    value_columns: list[str] | None = None,
    name: str = "features",
) -> FeatureSet:
    """A feature set from a GeoDataFrame (the CRS must be set); IRIs given or ``iri_prefix`` + row number.

    >>> import geopandas as gpd, shapely
    >>> fs = features_from_geodataframe(gpd.GeoDataFrame(geometry=[shapely.Point(24.9, 60.2)], crs="EPSG:4326"))
    >>> fs.crs, fs.iris.tolist()
    ('http://www.opengis.net/def/crs/OGC/1.3/CRS84', ['urn:eolink:feature:0'])
    """
    import geopandas as gpd

    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(f"{name}: expected a GeoDataFrame")
    if frame.crs is None:
        raise CRSError(f"{name}: no CRS; set the file's or frame's CRS before linking")
    if frame.crs.is_geographic:
        frame = frame.to_crs("OGC:CRS84")
        crs = CRS84
    else:
        crs = crs_to_iri(frame.crs)
    if iris is None:
        iris = np.array([f"{iri_prefix}{k}" for k in range(len(frame))], dtype=object)
    iris = np.asarray(iris, dtype=object)
    values = None
    if value_columns:
        long = frame[value_columns].reset_index(drop=True).astype(object)
        long["row"] = np.arange(len(frame))
        values = long.melt(id_vars="row", var_name="key", value_name="value").dropna()
        values["value"] = values["value"].astype(str)
        values = _expand_json_tags(values)
    fs = FeatureSet(iris, np.asarray(frame.geometry.values, dtype=object), crs, selector=Selector("file", name),
                    times=times, values=values)
    return _check(fs, name, invalid)


def _expand_json_tags(values: pd.DataFrame) -> pd.DataFrame:
    """Rows whose value is a JSON object (OSM ``tags``) become one row per tag."""
    is_json = values["value"].str.startswith("{")
    if not is_json.any():
        return values.reset_index(drop=True)
    extra = []
    for row, text in zip(values.loc[is_json, "row"], values.loc[is_json, "value"]):  # few rows: JSON parsing is per row anyway
        try:
            tags = json.loads(text)
        except ValueError:
            continue
        extra.extend((row, str(k), str(v)) for k, v in tags.items())
    return pd.concat([values[~is_json], pd.DataFrame(extra, columns=["row", "key", "value"])], ignore_index=True)


def features_from_file(
    path: str | Path,
    *,
    invalid: str = "raise",
    with_times: bool = False,
    with_values: bool = False,
    product_type: str | None = None,
) -> FeatureSet:
    """The features of a product file, with the IRIs ingestion would give them.

    Times: the ``sensing_start``/``sensing_end`` columns where the product has them (scenes), else the product's time span.
    """
    from eolink.etl.readers import read_product

    name = Path(path).name
    try:
        table = read_product(path, product_type=product_type)
    except InputError as err:
        if "cannot tell the product type" not in str(err):
            raise
        return _plain_vector_file(Path(path), invalid=invalid, with_values=with_values)
    frame = table.features
    if len(frame) == 0:
        raise InputError(f"{name}: no features")
    times = None
    if with_times:
        times = np.full((len(frame), 2), np.nan)
        if "sensing_start" in frame.columns:
            times[:, 0] = _to_seconds(frame["sensing_start"])
            times[:, 1] = _to_seconds(frame.get("sensing_end", frame["sensing_start"]))
        product = table.product
        for col, value in ((0, product.time_start), (1, product.time_end or product.time_start)):
            if value is not None:
                missing = np.isnan(times[:, col])
                times[missing, col] = pd.Timestamp(value).timestamp()
    value_columns = None
    if with_values:
        # identifiers of the source dataset say nothing about the object: not matched on
        value_columns = [c for c in frame.columns if c not in ("geometry", "id") and _is_text(frame[c])]
    fs = features_from_geodataframe(frame, iris=feature_iris_for_table(table), invalid=invalid, times=times,
                                    value_columns=value_columns, name=name)
    fs.selector = Selector("file", str(path))
    fs.used = [table.product.iri]
    return fs


def _is_text(column: pd.Series) -> bool:
    return column.dtype == object or pd.api.types.is_string_dtype(column)


def _plain_vector_file(path: Path, *, invalid: str, with_values: bool) -> FeatureSet:
    """A vector file that is no known product: every row a feature, IRI from its ``id`` column or row number."""
    import geopandas as gpd

    try:
        frame = gpd.read_file(path)
    except Exception as err:  # noqa: BLE001 - GDAL raises many types; all mean "cannot read"
        raise InputError(f"{path.name}: cannot read as a vector file: {err}") from err
    if len(frame) == 0:
        raise InputError(f"{path.name}: no features")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem) or "file"
    ids = frame["id"].astype(str) if "id" in frame.columns else pd.Series(range(len(frame))).astype(str)
    iris = (f"{RESOURCE}feature/{slug}/" + ids).to_numpy(dtype=object)
    columns = [c for c in frame.columns if c not in ("geometry", "id") and _is_text(frame[c])] if with_values else None
    fs = features_from_geodataframe(frame, iris=iris, invalid=invalid, value_columns=columns, name=path.name)
    fs.selector = Selector("file", str(path))
    return fs


# ----------------------------------------------------------------------------- checks


def _check(fs: FeatureSet, where: str, invalid: str) -> FeatureSet:
    if invalid not in INVALID_POLICIES:
        raise InputError(f"invalid={invalid!r}; choose from {', '.join(INVALID_POLICIES)}")
    if len(fs) == 0:
        raise InputError(f"{where} selects no features")
    missing = shapely.is_missing(fs.geometries) | shapely.is_empty(fs.geometries)
    if missing.any():
        k = int(np.flatnonzero(missing)[0])
        raise GeometryError(f"{where}: {int(missing.sum())} feature(s) without geometry, e.g. <{fs.iris[k]}>")
    bad = ~shapely.is_valid(fs.geometries)
    if not bad.any():
        return fs
    if invalid == "raise":
        k = int(np.flatnonzero(bad)[0])
        reason = shapely.is_valid_reason(fs.geometries[k])
        raise GeometryError(
            f"{where}: {int(bad.sum())} invalid geometr{'y' if bad.sum() == 1 else 'ies'}, e.g. <{fs.iris[k]}> "
            f"({reason}); repair them (invalid='repair', --invalid repair) or skip them (invalid='skip')"
        )
    if invalid == "repair":
        geometries = fs.geometries.copy()
        geometries[bad] = shapely.make_valid(geometries[bad])
        fs.geometries = geometries
        fs.repaired = int(bad.sum())
        return fs
    keep = np.flatnonzero(~bad)
    if len(keep) == 0:
        raise GeometryError(f"{where}: every geometry is invalid")
    out = fs.subset(keep)
    out.skipped = int(bad.sum())
    return out


def load_feature_set(
    selector: str | Selector | FeatureSet,
    store: Store | None = None,
    *,
    invalid: str = "raise",
    with_times: bool = False,
    with_values: bool = False,
) -> FeatureSet:
    """Resolve any selector (or pass a ready :class:`FeatureSet` through).

    >>> load_feature_set("graph:http://example.org/g")
    Traceback (most recent call last):
    ...
    eolink.errors.InputError: graph:… selectors need a store
    """
    if isinstance(selector, FeatureSet):
        return selector
    sel = parse_selector(selector) if isinstance(selector, str) else selector
    if sel.kind == "file":
        return features_from_file(sel.value, invalid=invalid, with_times=with_times, with_values=with_values)
    if store is None:
        raise InputError(f"{sel.kind}:… selectors need a store")
    return features_from_store(store, sel, invalid=invalid, with_times=with_times, with_values=with_values)

