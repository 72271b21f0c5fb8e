"""JedAI-spatial-style interlinking: topological relations between feature sets, entity matching.

Modules, one stage each: :mod:`~eolink.interlink.sources` (selectors → feature sets),
:mod:`~eolink.interlink.filtering` (STRtree / equigrid candidates),
:mod:`~eolink.interlink.de9im` (all relations from one DE-9IM matrix, or from ``touches`` where MBRs
are not nested), :mod:`~eolink.interlink.discovery` (filter-verify, GIA.nt),
:mod:`~eolink.interlink.progressive` (budgeted, best candidates first; weights from
:mod:`~eolink.interlink.support`), :mod:`~eolink.interlink.distributed` (Dask tiles),
:mod:`~eolink.interlink.temporal` (±N days), :mod:`~eolink.interlink.matching` (``owl:sameAs``),
:mod:`~eolink.interlink.linker` (runs against a store, with PROV-O provenance).

>>> import shapely
>>> sorted(discover_links([shapely.box(0, 0, 2, 2)], [shapely.Point(1, 1)], relations=["sfContains"]).as_set())
[(0, 0, 'sfContains')]
"""

from eolink.interlink.de9im import RELATIONS, relations_from_matrices
from eolink.interlink.discovery import LinkSet, discover_links
from eolink.interlink.linker import LinkRun, MatchRun, link, link_graphs, link_same_as
from eolink.interlink.progressive import progressive_links, recall_curve
from eolink.interlink.sources import FeatureSet, load_feature_set, parse_selector

__all__ = [
    "RELATIONS",
    "relations_from_matrices",
    "discover_links",
    "LinkSet",
    "LinkRun",
    "MatchRun",
    "link",
    "link_graphs",
    "link_same_as",
    "progressive_links",
    "recall_curve",
    "FeatureSet",
    "load_feature_set",
    "parse_selector",
]
