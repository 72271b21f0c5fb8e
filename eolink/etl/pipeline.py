"""Ingest = read → map → validate → load (→ link).

Every product becomes one named graph (graph IRI = product IRI). Ingesting
several files is two-phase: all files are read, mapped and validated first, and
only if every one succeeded are they loaded, each graph replaced atomically. A
bad file therefore loads nothing.

>>> from eolink.stores import open_store
>>> store = open_store(None)
>>> ingest([Path("/nonexistent.tif")], store)
Traceback (most recent call last):
...
eolink.errors.InputError: /nonexistent.tif: no such file
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eolink.errors import EolinkError, InputError
from eolink.etl.table import FeatureTable, ReadReport
from eolink.stores.base import Store

__all__ = ["PreparedProduct", "IngestResult", "prepare", "map_table", "ingest", "ensure_ontology", "ONTOLOGY_GRAPH"]

#: Named graph holding the ontology and code lists, so queries can use labels, hierarchies and colours.
ONTOLOGY_GRAPH = "https://w3id.org/eolink/ontology"


@dataclass
class PreparedProduct:
    """A product read, mapped and validated, ready to load."""

    path: Path
    table: FeatureTable
    nquads: str
    triples: int

    @property
    def graph(self) -> str:
        """Named graph (= product IRI) the product loads into."""
        return self.table.product.iri


@dataclass
class IngestResult:
    """What ingesting one product did."""

    path: Path
    graph: str
    product_type: str
    features: int
    triples: int
    report: ReadReport = field(default_factory=ReadReport)


def map_table(table: FeatureTable, *, client: Any = None, run_id: str | None = None,
              partition_rows: int = 50_000) -> str:
    """Run the shipped RML mapping of the table's product type; return N-Quads text.

    With a Dask ``client`` the features are mapped in partitions on the cluster
    (:func:`eolink.etl.distributed.map_table_distributed`); the lines are the same.
    ``run_id`` fixes blank-node labels (random by default).
    """
    from eolink.etl.rml import execute, load_mapping
    from eolink.mappings import mapping_path, mapping_sources

    if client is not None:
        import secrets

        from eolink.etl.distributed import map_table_distributed

        return map_table_distributed(table, client, partition_rows=partition_rows,
                                     run_id=run_id or secrets.token_hex(3))
    mapping = load_mapping(mapping_path(table.product.product_type))
    sources = mapping_sources(table.features, table.product.as_row())
    return "".join(execute(mapping, sources=sources, run_id=run_id))


def prepare(
    path: Path,
    *,
    product_type: str | None = None,
    crs: str | None = None,
    validate: bool = True,
    client: Any = None,
) -> PreparedProduct:
    """Read, map and (optionally) SHACL-validate one product file. Nothing is written anywhere.

    With a Dask ``client`` the mapping runs in partitions on the cluster.
    """
    from eolink.etl.readers import read_product

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    table = read_product(path, product_type=product_type, crs=crs)
    if len(table) == 0 and table.product.product_type != "scene-catalogue":
        raise InputError(f"{path}: the product has no features")
    nquads = map_table(table, client=client)
    triples = sum(1 for line in nquads.splitlines() if line.strip())
    if validate:
        from eolink.ontology.validate import assert_valid

        try:
            assert_valid(nquads)
        except EolinkError as err:
            raise type(err)(f"{path}: {err.message}") from err
    return PreparedProduct(path, table, nquads, triples)


def ingest(
    paths: Sequence[Path],
    store: Store,
    *,
    product_type: str | None = None,
    crs: str | None = None,
    validate: bool = True,
    on_progress: Callable[[str, Path], None] | None = None,
    client: Any = None,
) -> list[IngestResult]:
    """Ingest product files into ``store`` (two-phase: nothing is loaded unless every file prepares).

    ``client``: a Dask client to map the features on (see :mod:`eolink.etl.distributed`).
    """
    notify = on_progress or (lambda stage, path: None)
    prepared: list[PreparedProduct] = []
    for path in paths:
        notify("prepare", Path(path))
        prepared.append(prepare(Path(path), product_type=product_type, crs=crs, validate=validate, client=client))
    graphs = [p.graph for p in prepared]
    duplicates = {g for g in graphs if graphs.count(g) > 1}
    if duplicates:
        raise InputError(f"several files map to the same product: {', '.join(sorted(duplicates))}")
    results = []
    ensure_ontology(store)
    for product in prepared:
        notify("load", product.path)
        store.load(product.graph, product.nquads, fmt="nq", replace=True, count=False)
        results.append(
            IngestResult(
                product.path,
                product.graph,
                product.table.product.product_type,
                len(product.table),
                product.triples,
                product.table.report,
            )
        )
    return results


def ensure_ontology(store: Store) -> int:
    """Load the ontology and code lists into :data:`ONTOLOGY_GRAPH` (replacing it); return its triple count."""
    from eolink.ontology import ontology_files

    payload = _merge_turtle(ontology_files())
    return store.load(ONTOLOGY_GRAPH, payload, fmt="nt", replace=True)


def _merge_turtle(paths: Sequence[Path]) -> bytes:
    import pyoxigraph as ox

    triples: list[bytes] = []
    for path in paths:
        triples.append(ox.serialize(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE), format=ox.RdfFormat.N_TRIPLES) or b"")
    return b"".join(triples)
