"""Feature–geometry chains answered from the feature view instead of pyoxigraph's indexes.

In a group that is a plain basic graph pattern, the planner looks for the chain that
leads from a feature to the geometry literal a spatial filter tests::

    ?f a ex:Parcel .                 # any number of rdf:type patterns on ?f or ?g
    ?f geo:hasGeometry ?g .          # or geo:hasDefaultGeometry; optional
    ?g geo:asWKT ?w .                # or asGML/asGeoJSON/asKML
    # or, as a path: ?f geo:hasGeometry/geo:asWKT ?w
    FILTER(geof:sfIntersects(?w, "…"^^geo:wktLiteral))

Once the index has decided which literals pass the filter, the view
(:class:`~eolink.stores.embedded.features.FeatureView`) gives every solution of the chain
for them — one per combination of matching triples and graphs, as the union default
graph's bag semantics require — and the group is rewritten as ``VALUES`` of those
solutions plus the group's other triples and filters. A variable of the chain is put
in the ``VALUES`` block when the query mentions it anywhere else (or projects ``*``);
the others are only counted. The rewrite is not made (and the planner falls back to
its literal ``VALUES`` block) when a value to emit is a blank node (``VALUES`` cannot
hold one), when the group is not a plain basic graph pattern, or when the query uses
``GRAPH``, ``SERVICE``, ``EXISTS``, ``FROM`` or the short ``CONSTRUCT WHERE`` form.

>>> triples = parse_triples("?f a ex:C ; geo:hasGeometry/geo:asWKT ?w .")
>>> [t.text() for t in triples]
['?f a ex:C .', '?f geo:hasGeometry/geo:asWKT ?w .']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from dataclasses import dataclass, field

import numpy as np

from eolink.ontology import GEO, RDF
from eolink.stores.embedded.features import CODES, HAS_GEOMETRY_CODES, FeatureView, term_hashes

__all__ = ["LITERAL", "Triple", "Chain", "parse_triples", "find_chain", "chain_solutions", "side_keys", "pair_product", "values_block", "chain_barrier"]

_RDF_TYPE = RDF + "type"
#: Key of the literal positions in :func:`chain_solutions` (not a variable name).
LITERAL = "#literal"
_VAR = re.compile(r"[?$][A-Za-z_]\w*")
_IRI = r"<[^<>\"{}|^`\\\s]*>"
_PNAME = r"(?:[A-Za-z][\w.-]*)?:(?:[\w-](?:[\w.-]*[\w-])?)?"
_NAME = rf"(?:{_IRI}|{_PNAME})"
_TOKEN = re.compile(
    rf"(?P<path>{_NAME}(?:/{_NAME})+)"
    rf"|(?P<name>{_NAME})"
    r'|(?P<lit>(?:"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')'
    rf"(?:\^\^{_NAME}|@[A-Za-z]+(?:-[A-Za-z0-9]+)*)?)"
    r"|(?P<var>[?$][A-Za-z_]\w*)"
    r"|(?P<number>[+-]?(?:\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?)(?![\w.]))"
    r"|(?P<word>a(?![\w:.-])|true(?![\w:])|false(?![\w:]))"
    r"|(?P<punct>[;,.])"
    r"|(?P<space>\s+)",
    re.DOTALL,
)


@dataclass(frozen=True)
class Triple:
    """One triple pattern as written (terms are query text)."""

    subject: str
    predicate: str
    object: str

    def text(self) -> str:
        return f"{self.subject} {self.predicate} {self.object} ."


def parse_triples(body: str) -> list[Triple] | None:
    """The triple patterns of a plain basic graph pattern (``;`` and ``,`` expanded); ``None`` otherwise.

    Only variables, IRIs, prefixed names, literals, numbers, ``a`` and sequence paths of names
    are accepted; anything else (blank nodes, collections, nested groups, other paths,
    keywords) makes the body "not plain".

    >>> [t.text() for t in parse_triples("?s <http://e/p> 'x', ?o ; a ex:C")]
    ["?s <http://e/p> 'x' .", '?s <http://e/p> ?o .', '?s a ex:C .']
    >>> parse_triples("?s ?p [ ?q ?o ]") is None
    True
    """
    triples: list[Triple] = []
    subject = predicate = None
    position = 0  # 0: subject, 1: predicate, 2: object
    at = 0
    while at < len(body):
        token = _TOKEN.match(body, at)
        if token is None:
            return None
        at = token.end()
        kind, text = token.lastgroup, token.group(0)
        if kind == "space":
            continue
        if kind == "punct":
            if text == "." and position == 0:
                continue  # an empty statement, e.g. after a removed filter
            if position != 3:
                return None
            if text == ".":
                subject, predicate, position = None, None, 0
            elif text == ";":
                predicate, position = None, 1
            else:
                position = 2
            continue
        if position == 0:
            if kind not in ("var", "name"):
                return None
            subject, position = text, 1
        elif position == 1:
            if kind not in ("var", "name", "path") and text != "a":
                return None
            predicate, position = text, 2
        elif position == 2:
            if kind == "path":
                return None
            triples.append(Triple(subject, predicate, text))  # type: ignore[arg-type]
            position = 3
        else:
            return None
    if position not in (0, 3):
        return None
    return triples


def _variable(name: str) -> str:
    """A variable's name without its sigil (``?x`` and ``$x`` are the same variable)."""
    return name[1:]


@dataclass
class Chain:
    """One feature–geometry chain of a group (see the module docstring)."""

    literal_var: str
    geometry_code: int
    geometry_var: str | None  # None: the path's hidden node
    feature_var: str | None  # None: no hasGeometry pattern
    has_code: int | None
    feature_classes: list[str] = field(default_factory=list)
    geometry_classes: list[str] = field(default_factory=list)
    #: positions (in the group's triples) of the patterns the chain replaces
    patterns: list[int] = field(default_factory=list)

    def variables(self) -> list[str]:
        """The chain's visible variables (names without sigil), feature first."""
        return [v for v in (self.feature_var, self.geometry_var, self.literal_var) if v is not None]


def find_chain(triples: list[Triple], literal_var: str, resolve: Callable[[str], str | None], taken: set[int] = frozenset()) -> Chain | None:  # type: ignore[assignment]
    """The chain ending in ``literal_var`` (a name without sigil) among ``triples``; ``None`` when there is none.

    ``resolve`` turns a name as written (``geo:asWKT``, ``<…>``, ``a``) into an IRI.
    Patterns at positions in ``taken`` belong to another chain.

    >>> names = {"a": _RDF_TYPE, "ex:C": "http://e/C", "geo:hasGeometry": GEO + "hasGeometry", "geo:asWKT": GEO + "asWKT"}
    >>> chain = find_chain(parse_triples("?f a ex:C ; geo:hasGeometry ?g . ?g geo:asWKT ?w ."), "w", names.get)
    >>> chain.feature_var, chain.geometry_var, chain.feature_classes, chain.patterns
    ('f', 'g', ['http://e/C'], [2, 1, 0])
    """

    def is_var(term: str) -> bool:
        return bool(_VAR.fullmatch(term))

    geometry_codes = {CODES[p] for p in CODES if CODES[p] < HAS_GEOMETRY_CODES[0]}
    chain = None
    for i, t in enumerate(triples):
        if i in taken or not (is_var(t.object) and _variable(t.object) == literal_var and is_var(t.subject)):
            continue
        if "/" in t.predicate:
            parts = [resolve(p) for p in _split_path(t.predicate)]
            if len(parts) != 2 or None in parts:
                continue
            has, geometry = CODES.get(parts[0]), CODES.get(parts[1])  # type: ignore[arg-type]
            if has in HAS_GEOMETRY_CODES and geometry in geometry_codes and _variable(t.subject) != literal_var:
                chain = Chain(literal_var, geometry, None, _variable(t.subject), has, patterns=[i])
                break
            continue
        code = CODES.get(resolve(t.predicate) or "")
        if code in geometry_codes and _variable(t.subject) != literal_var:
            chain = Chain(literal_var, code, _variable(t.subject), None, None, patterns=[i])
            break
    if chain is None:
        return None
    if chain.geometry_var is not None:
        for i, t in enumerate(triples):
            if i in taken or i in chain.patterns or not (is_var(t.subject) and is_var(t.object)):
                continue
            code = CODES.get(resolve(t.predicate) or "") if "/" not in t.predicate else None
            if code in HAS_GEOMETRY_CODES and _variable(t.object) == chain.geometry_var \
                    and _variable(t.subject) not in (chain.geometry_var, literal_var):
                chain.feature_var, chain.has_code = _variable(t.subject), code
                chain.patterns.append(i)
                break
    for i, t in enumerate(triples):
        if i in taken or i in chain.patterns or not is_var(t.subject) or "/" in t.predicate:
            continue
        if resolve(t.predicate) != _RDF_TYPE or is_var(t.object) or not re.fullmatch(_NAME, t.object):
            continue
        cls = resolve(t.object)
        if cls is None:
            continue
        if _variable(t.subject) == chain.feature_var:
            chain.feature_classes.append(cls)
            chain.patterns.append(i)
        elif _variable(t.subject) == chain.geometry_var:
            chain.geometry_classes.append(cls)
            chain.patterns.append(i)
    return chain


def _split_path(path: str) -> list[str]:
    return [m.group(0) for m in re.finditer(_NAME, path)]


def chain_barrier(masked_query: str) -> str | None:
    """Why no chain of this query may be rewritten (``None``: nothing stands in the way)."""
    if re.search(r"(?<![\w:?$])(GRAPH|SERVICE|EXISTS|FROM)(?![\w:])", masked_query, re.IGNORECASE):
        return "GRAPH, SERVICE, EXISTS or FROM in the query"
    if re.search(r"CONSTRUCT\s+WHERE", masked_query, re.IGNORECASE):
        return "short CONSTRUCT WHERE form"
    return None


# -- solutions from the view -----------------------------------------------------------------

def _term(iri: str) -> str:
    return f"<{iri}>"


@lru_cache(maxsize=4096)
def _class_hash(iri: str) -> np.uint64:
    return term_hashes([_term(iri)])[0]


def _restrict_to_class(view: FeatureView, solution: dict[str, np.ndarray], hashes: str, texts: str, cls: str) -> dict[str, np.ndarray]:
    """Solutions joined with ``subject rdf:type cls`` (one per matching triple and graph); the subject's
    hashes and texts are the solution columns named ``hashes`` and ``texts``."""
    types = view.relations()["type"]
    which, rows = types.lookup("subject_hash", solution[hashes])
    keep = types.columns["object_hash"][rows] == _class_hash(cls)
    which, rows = which[keep], rows[keep]
    if len(rows):
        same = (types.text("subject", rows) == solution[texts][which]) & (types.text("object", rows) == _term(cls))
        which = which[same]
    return {k: v[which] for k, v in solution.items()}


def chain_solutions(view: FeatureView, chain: Chain, keys: np.ndarray) -> dict[str, np.ndarray]:
    """Every solution of ``chain`` whose literal has one of the index ``keys``.

    Returns aligned arrays: :data:`LITERAL` (position in ``keys``) and, per visible feature or
    geometry variable of the chain (by name), its values in N-Triples form.
    """
    relations = view.relations()
    geometry, has = relations["geometry"], relations["has"]
    which, rows = geometry.lookup("object_hash", np.asarray(keys, dtype=np.uint64))
    keep = geometry.columns["code"][rows] == chain.geometry_code
    which, rows = which[keep], rows[keep]
    solution = {"literal": which, "g#": geometry.columns["subject_hash"][rows], "g": geometry.text("subject", rows)}
    for cls in chain.geometry_classes:
        solution = _restrict_to_class(view, solution, "g#", "g", cls)
    if chain.feature_var is not None:
        which, rows = has.lookup("object_hash", solution["g#"])
        keep = has.columns["code"][rows] == chain.has_code
        which, rows = which[keep], rows[keep]
        if len(rows):
            same = has.text("object", rows) == solution["g"][which]
            which, rows = which[same], rows[same]
        solution = {k: v[which] for k, v in solution.items()}
        solution["f#"] = has.columns["subject_hash"][rows]
        solution["f"] = has.text("subject", rows) if len(rows) else np.empty(0, dtype=object)
        for cls in chain.feature_classes:
            solution = _restrict_to_class(view, solution, "f#", "f", cls)
    out = {LITERAL: solution["literal"]}
    if chain.feature_var is not None:
        out[chain.feature_var] = solution["f"]
    if chain.geometry_var is not None:
        out[chain.geometry_var] = solution["g"]
    return out


def side_keys(view: FeatureView, chain: Chain, limit: int) -> np.ndarray | None:
    """The distinct index keys of every literal ``chain`` can reach (``None`` when more than ``limit``)."""
    relations = view.relations()
    geometry, has, types = relations["geometry"], relations["has"], relations["type"]
    start_classes = chain.feature_classes if chain.feature_var is not None else []
    if start_classes:
        target = _class_hash(start_classes[0])
        _, rows = types.lookup("object_hash", np.array([target], dtype=np.uint64))
        features = np.unique(types.columns["subject_hash"][rows])
        _, rows = has.lookup("subject_hash", features)
        rows = rows[has.columns["code"][rows] == chain.has_code]
        geometries = np.unique(has.columns["object_hash"][rows])
        _, rows = geometry.lookup("subject_hash", geometries)
    elif chain.geometry_classes:
        target = _class_hash(chain.geometry_classes[0])
        _, rows = types.lookup("object_hash", np.array([target], dtype=np.uint64))
        geometries = np.unique(types.columns["subject_hash"][rows])
        _, rows = geometry.lookup("subject_hash", geometries)
    else:
        rows = np.flatnonzero(geometry.columns["code"] == chain.geometry_code)
    rows = rows[geometry.columns["code"][rows] == chain.geometry_code]
    keys = np.unique(geometry.columns["object_hash"][rows])  # a superset: chain_solutions is exact
    return None if len(keys) > limit else keys


def pair_product(pair_a: np.ndarray, pair_b: np.ndarray, literal_a: np.ndarray, literal_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each pair ``(pair_a[k], pair_b[k])`` of literal positions, every solution of side A with that
    literal combined with every solution of side B with its literal: indices into the sides' solutions.

    >>> pair_product(np.array([0, 1]), np.array([0, 0]), np.array([0, 0, 1]), np.array([0]))
    (array([0, 1, 2]), array([0, 0, 0]))
    """

    def groups(literal: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        order = np.argsort(literal, kind="stable")
        counts = np.bincount(literal, minlength=size)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        return order, counts, starts

    size = int(max(pair_a.max(initial=-1), literal_a.max(initial=-1), pair_b.max(initial=-1), literal_b.max(initial=-1))) + 1
    order_a, counts_a, starts_a = groups(literal_a, size)
    order_b, counts_b, starts_b = groups(literal_b, size)
    na, nb = counts_a[pair_a], counts_b[pair_b]
    n = na * nb
    total = int(n.sum())
    pair = np.repeat(np.arange(len(pair_a)), n)
    k = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
    ia = order_a[starts_a[pair_a][pair] + k // nb[pair]]
    ib = order_b[starts_b[pair_b][pair] + k % nb[pair]]
    return ia, ib


def values_block(columns: list[tuple[str, np.ndarray]], rows: int) -> str:
    """``VALUES (?a ?b) { (… …) … }`` of term texts (``rows`` empty rows when there are no columns)."""
    if not columns:
        return "VALUES () { " + "() " * rows + "}"
    names = " ".join(f"?{name}" for name, _ in columns)
    texts = [values.tolist() for _, values in columns]
    body = " ".join("(" + " ".join(row) + ")" for row in zip(*texts))
    return f"VALUES ({names}) {{ {body} }}"
