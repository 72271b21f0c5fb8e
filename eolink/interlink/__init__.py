"""JedAI-spatial-style interlinking: topological relations between feature sets, entity matching."""

from eolink.interlink.de9im import RELATIONS, relations_from_matrices
from eolink.interlink.discovery import LinkSet, discover_links

__all__ = ["RELATIONS", "relations_from_matrices", "discover_links", "LinkSet"]
