"""Federation: one SPARQL endpoint over many sources (Semagrow-like, self-describing).

Modules: :mod:`.sources` (configuration file, source clients), :mod:`.description`
(VoID + spatial/temporal extent of each source), :mod:`.analysis` (patterns, filters
and SERVICE clauses of a query), :mod:`.engine` (source selection, exclusive groups,
join order, bind joins, local evaluation with the GeoSPARQL library).

>>> from eolink.sparql.federation import parse_config
>>> len(parse_config('[[source]]\\nendpoint = "http://127.0.0.1:9/q"').sources)
1
"""

from eolink.sparql.federation.description import SourceDescription, describe_source, load_descriptions, save_descriptions
from eolink.sparql.federation.engine import FederatedAnswer, Federation, PlanStep
from eolink.sparql.federation.sources import FederationConfig, SourceConfig, load_config, parse_config

__all__ = [
    "Federation",
    "FederatedAnswer",
    "PlanStep",
    "FederationConfig",
    "SourceConfig",
    "SourceDescription",
    "load_config",
    "parse_config",
    "describe_source",
    "load_descriptions",
    "save_descriptions",
]
