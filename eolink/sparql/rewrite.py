"""The GeoSPARQL Query Rewrite extension: topology properties computed from geometries.

With rewriting on, a triple pattern ``S geo:sfIntersects O`` (any of the simple
feature, Egenhofer and RCC8 properties) holds when it is asserted *or* when the
geometries of ``S`` and ``O`` are so related — a feature standing for its default
geometry, a geometry for itself (GeoSPARQL 1.0/1.1, the rewrite rules of the
Query Rewrite Extension). The pattern is replaced by

    { SELECT DISTINCT <vars> WHERE { { S P O } UNION
        { S geo:hasDefaultGeometry?/geo:asWKT ?w1 . O geo:hasDefaultGeometry?/geo:asWKT ?w2 .
          FILTER(geof:P(?w1, ?w2)) } } }

whose filter the spatial planner then answers from the index. Patterns written in
the abbreviated ``;``/``,`` forms are left as they are (asserted triples only).

>>> q = "SELECT ?f WHERE { <http://e/G> <http://www.opengis.net/ont/geosparql#sfEquals> ?f }"
>>> out = rewrite_topology(q)
>>> "UNION" in out and "sfEquals>(?__eolink_w1_0, ?__eolink_w2_0)" in out
True
>>> rewrite_topology("SELECT * WHERE { ?s ?p ?o }") == "SELECT * WHERE { ?s ?p ?o }"
True
"""

from __future__ import annotations

import re

from eolink.ontology import GEO, GEOF

__all__ = ["TOPOLOGY_PROPERTIES", "rewrite_topology"]

#: Local names of the topology properties (and functions) of GeoSPARQL.
TOPOLOGY_PROPERTIES = tuple(
    [f"sf{n}" for n in ("Equals", "Disjoint", "Intersects", "Touches", "Crosses", "Within", "Contains", "Overlaps")]
    + [f"eh{n}" for n in ("Equals", "Disjoint", "Meet", "Overlap", "Covers", "CoveredBy", "Inside", "Contains")]
    + [f"rcc8{n}" for n in ("eq", "dc", "ec", "po", "tppi", "tpp", "ntpp", "ntppi")]
)

_TERM = r"(?:[?$][A-Za-z_]\w*|<[^<>\s]*>|[A-Za-z][\w.-]*:[\w.-]*|:[\w.-]*)"
_TRIPLE = re.compile(rf"(?P<s>{_TERM})\s+(?P<p>{_TERM})\s+(?P<o>{_TERM})")


def _spelling_to_local(names: dict[str, str], term: str) -> str | None:
    if term.startswith("<"):
        iri = term[1:-1]
    elif ":" in term and not term.startswith(("?", "$")):
        prefix, _, local = term.partition(":")
        if prefix not in names:
            return None
        iri = names[prefix] + local
    else:
        return None
    if iri.startswith(GEO) and iri[len(GEO):] in TOPOLOGY_PROPERTIES:
        return iri[len(GEO):]
    return None


def _geometry_path(term: str, variable: str) -> str:
    return f"{term} <{GEO}hasDefaultGeometry>?/<{GEO}asWKT> {variable} ."


def rewrite_topology(query: str) -> str:
    """``query`` with every plain ``S topo:P O`` triple pattern rewritten (see the module docstring)."""
    from eolink.sparql.planner import PREFIX_DECL, mask_query

    if not any(name in query for name in TOPOLOGY_PROPERTIES):
        return query
    masked = mask_query(query)
    names = {(m.group(1) or ""): m.group(2) for m in PREFIX_DECL.finditer(query)}
    edits: list[tuple[int, int, str]] = []
    for count, match in enumerate(_TRIPLE.finditer(masked)):
        local = _spelling_to_local(names, match.group("p"))
        if local is None:
            continue
        before = masked[: match.start()].rstrip()
        after = masked[match.end():].lstrip()
        if not before.endswith(("{", ".")) or not after.startswith((".", "}")):
            continue  # part of a ';' or ',' list, or not a plain triple pattern
        s, o = query[match.start("s"):match.end("s")], query[match.start("o"):match.end("o")]
        w1, w2 = f"?__eolink_w1_{count}", f"?__eolink_w2_{count}"
        variables = " ".join(dict.fromkeys(t for t in (s, o) if t[0] in "?$")) or f"(1 AS ?__eolink_k_{count})"
        computed = (
            f"{_geometry_path(s, w1)} {_geometry_path(o, w2)} FILTER(<{GEOF}{local}>({w1}, {w2}))"
        )
        replacement = (
            f"{{ SELECT DISTINCT {variables} WHERE {{ {{ {s} <{GEO}{local}> {o} }} UNION {{ {computed} }} }} }}"
        )
        edits.append((match.start(), match.end(), replacement))
    out = query
    for start, end, text in reversed(edits):
        out = out[:start] + text + out[end:]
    return out
