"""Stores behind one protocol: the embedded pyoxigraph store (default), remote endpoints, virtual graphs.

>>> from eolink.stores import open_store
>>> store = open_store(None)   # in-memory embedded store
>>> store.graphs()
[]
"""

from eolink.stores.base import GraphInfo, Store
from eolink.stores.embedded import EmbeddedStore

__all__ = ["Store", "GraphInfo", "EmbeddedStore", "open_store"]


def open_store(
    path: "str | None | object" = None, *, read_only: bool = False, rdfs: bool = False, rewrite: bool = False
) -> EmbeddedStore:
    """Open (or create) the embedded store at ``path``; ``None`` gives an in-memory store.

    ``rdfs`` and ``rewrite`` switch on RDFS entailment and the GeoSPARQL query rewrite extension.
    """
    from pathlib import Path

    return EmbeddedStore(None if path is None else Path(str(path)), read_only=read_only, rdfs=rdfs, rewrite=rewrite)
