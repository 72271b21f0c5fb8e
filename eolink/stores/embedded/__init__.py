"""The embedded store: pyoxigraph on disk, one named graph per product."""

from eolink.stores.embedded.store import EmbeddedStore

__all__ = ["EmbeddedStore"]
