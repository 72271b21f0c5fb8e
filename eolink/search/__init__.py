"""Semantic search over the products and scenes of a store.

* :mod:`~eolink.search.records` — the catalogue: scenes and products as DCAT/STAC-like records (SPARQL over the store);
* :mod:`~eolink.search.parse` — query understanding (types, missions, concepts, places, times, numbers);
* :mod:`~eolink.search.index` — BM25 + embeddings + structured filters, ranking and explanations;
* :mod:`~eolink.search.service` — :class:`Searcher`: the index kept in step with the store and persisted;
* :mod:`~eolink.search.stac` — STAC export and import.

>>> from eolink.stores import open_store
>>> Searcher(open_store(None), None, dense=False).search("Sentinel-2 scenes over Espoo").hits
[]
"""

from eolink.search.index import SearchHit, SearchIndex, SearchResults
from eolink.search.parse import ParsedQuery, Vocabulary, parse_query
from eolink.search.records import CatalogueRecord, build_records
from eolink.search.service import Searcher
from eolink.search.stac import export_stac, import_stac

__all__ = [
    "CatalogueRecord", "build_records", "ParsedQuery", "Vocabulary", "parse_query", "SearchIndex", "SearchHit",
    "SearchResults", "Searcher", "export_stac", "import_stac",
]
