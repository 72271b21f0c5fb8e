r"""The federator: one SPARQL query over many sources, answered as if they were one store.

Plan (Semagrow/FedX style) and execution:

1. ``SERVICE <iri> { … }`` clauses name configured sources only; each is sent to its
   source and its solutions replace the clause as a ``VALUES`` block (exact SERVICE
   semantics, nothing is ever sent to an unconfigured host).
2. Source selection per triple pattern: the source descriptions (predicates, classes),
   cached ``ASK`` probes for patterns with constants, and spatial pruning (a source
   whose footprint misses the constant geometry of a ``geof:`` filter is skipped).
3. Patterns that only one source can answer are grouped per source (exclusive groups,
   connected by shared variables); outer filters whose variables a group binds are
   pushed to it (``geof:`` ones only to sources that evaluate GeoSPARQL).
4. Groups are ordered greedily by estimated cardinality (VoID counts) and fetched with
   ``CONSTRUCT``; a group sharing variables with what was fetched before is a bind join
   with batched ``VALUES``; batches and sources are queried concurrently (httpx async,
   per-source timeouts).
5. The fetched triples form one in-memory pyoxigraph store where the original query is
   evaluated with eolink's GeoSPARQL function library: the answer is exact whenever the
   fetched triples contain every triple that takes part in a solution, which restricting
   only by join partners guarantees.

>>> from eolink.stores import open_store
>>> from eolink.sparql.federation.sources import parse_config
>>> store = open_store(None)
>>> store.load("http://ex/g", '<http://ex/a> <http://ex/p> "1" .')
1
>>> federation = Federation(parse_config('[[source]]\nname = "here"\ntype = "local"\n'), store=store)
>>> answer = asyncio.run(federation.query("SELECT ?o WHERE { ?s <http://ex/p> ?o }"))
>>> answer.result.rows[0][0].value, answer.requests
('1', {'here': 1})
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import shapely

from eolink.errors import EolinkError, FederationError, QueryError
from eolink.sparql.federation.analysis import QueryAnalysis, TopFilter, TriplePattern, analyse_query, find_services, prologue
from eolink.sparql.federation.description import SourceDescription, describe_source, load_descriptions, save_descriptions
from eolink.sparql.federation.sources import FederationConfig, Source, load_config, open_source
from eolink.sparql.guard import check_query
from eolink.sparql.results import QueryResult

__all__ = ["Federation", "FederatedAnswer", "PlanStep"]

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_BIND_LIMIT = 50_000
_CROSS_LIMIT = 64
_PREFETCH = 500


@dataclass
class PlanStep:
    """One fetch: patterns, the sources asked, pushed filters and the estimate that ordered it."""

    patterns: list[TriplePattern]
    sources: list[str]
    filters: list[TopFilter] = field(default_factory=list)
    estimate: float = 0.0
    bind_variables: list[str] = field(default_factory=list)
    batches: int = 0
    #: geof: filters joining this step with earlier ones, pushed with the earlier bindings as VALUES
    cross_filters: list[TopFilter] = field(default_factory=list)

    @property
    def variables(self) -> set[str]:
        return set().union(*(p.variables for p in self.patterns))


@dataclass
class FederatedAnswer:
    """The result, whether a failing source was skipped, and the plan that was run."""

    result: QueryResult
    partial: bool = False
    failed: list[str] = field(default_factory=list)
    steps: list[PlanStep] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)


class Federation:
    """Sources, their descriptions and the query engine (see the module docstring)."""

    def __init__(self, config: FederationConfig, *, store: object | None = None, descriptions: dict[str, SourceDescription] | None = None) -> None:
        self.config = config
        self.sources: dict[str, Source] = {c.name: open_source(c, store=store) for c in config.sources}
        self.descriptions = dict(descriptions if descriptions is not None else (load_descriptions(config.descriptions) if config.descriptions else {}))
        self._ask_cache: dict[tuple[str, str], bool] = {}

    @classmethod
    def from_file(cls, path: Path | str, *, store: object | None = None) -> Federation:
        """A federation from a TOML configuration (see :mod:`.sources`)."""
        return cls(load_config(path), store=store)

    @property
    def requests(self) -> dict[str, int]:
        """Requests sent to each source so far."""
        return {name: source.requests for name, source in self.sources.items()}

    async def describe(self, *, save: bool = True) -> dict[str, SourceDescription]:
        """(Re)build every source's description, concurrently; save them next to the configuration."""
        built = await asyncio.gather(*(describe_source(s) for s in self.sources.values()))
        self.descriptions = {d.name: d for d in built}
        self._ask_cache.clear()
        if save and self.config.descriptions is not None:
            save_descriptions(self.config.descriptions, built)
        return self.descriptions

    async def aclose(self) -> None:
        """Close the sources' connections."""
        for source in self.sources.values():
            await source.aclose()

    # -- source selection ---------------------------------------------------------------

    async def _ask(self, source: Source, pattern: TriplePattern, header: str) -> bool:
        key = (source.name, pattern.render())
        if key not in self._ask_cache:
            self._ask_cache[key] = await source.ask(f"{header}\nASK {{ {pattern.render()} }}")
        return self._ask_cache[key]

    def _candidates(self, pattern: TriplePattern) -> list[str]:
        predicate = pattern.constant("p")
        out = []
        for name in self.sources:
            description = self.descriptions.get(name)
            if description is None or predicate is None:
                out.append(name)
            elif predicate == RDF_TYPE and pattern.constant("o") is not None:
                if pattern.constant("o") in description.classes:
                    out.append(name)
            elif predicate in description.predicates:
                out.append(name)
        return out

    def _estimate(self, pattern: TriplePattern, sources: Sequence[str]) -> float:
        total = 0.0
        predicate = pattern.constant("p")
        for name in sources:
            d = self.descriptions.get(name)
            if d is None:
                total += 1e6
                continue
            if predicate is None:
                n = float(d.triples)
                stats = None
            elif predicate == RDF_TYPE and pattern.constant("o") is not None:
                total += d.classes.get(pattern.constant("o"), 0) / (1 if pattern.constant("s") is None else max(1, d.classes.get(pattern.constant("o"), 1)))
                continue
            else:
                stats = d.predicates.get(predicate)
                n = float(stats.triples) if stats else 0.0
            if stats is not None:
                if pattern.constant("s") is not None:
                    n /= max(1, stats.distinct_subjects)
                if pattern.constant("o") is not None:
                    n /= max(1, stats.distinct_objects)
            total += n
        return total

    async def _select_sources(self, patterns: list[TriplePattern], filters: list[TopFilter], header: str) -> dict[int, list[str]]:
        chosen: dict[int, list[str]] = {}
        probes = []
        for index, pattern in enumerate(patterns):
            names = self._candidates(pattern)
            # spatial pruning: the object of geo:asWKT constrained by an intersecting-kind filter
            if pattern.constant("p") == "http://www.opengis.net/ont/geosparql#asWKT":
                for f in filters:
                    if f.spatial_constant is not None and f.spatial_variable in pattern.variables and pattern.o is not None:
                        box = shapely.box(*shapely.bounds(f.spatial_constant))
                        names = [n for n in names if n not in self.descriptions or self.descriptions[n].may_intersect(box)]
            # temporal pruning: the object constrained to a date range the source's time extent misses
            for f in filters:
                for var, low, high in f.time_bounds:
                    if var in pattern.variables and pattern.constant("o") is None and str(pattern.o) == var:
                        names = [n for n in names if n not in self.descriptions or _time_overlaps(self.descriptions[n], low, high)]
            chosen[index] = names
            has_constant = pattern.constant("s") is not None or (pattern.constant("o") is not None and pattern.constant("p") != RDF_TYPE)
            if len(names) > 1 and has_constant:
                probes += [(index, name) for name in names]
        if probes:
            answers = await asyncio.gather(*(self._ask(self.sources[n], patterns[i], header) for i, n in probes), return_exceptions=True)
            for (index, name), answer in zip(probes, answers):
                if answer is False:
                    chosen[index] = [n for n in chosen[index] if n != name]
        return chosen

    # -- planning ------------------------------------------------------------------------

    def _plan(self, analysis: QueryAnalysis, chosen: dict[int, list[str]]) -> tuple[list[PlanStep], list[PlanStep]]:
        required = [(i, p) for i, p in enumerate(analysis.patterns) if p.required]
        steps: list[PlanStep] = []
        exclusive: dict[str, list[TriplePattern]] = {}
        for index, pattern in required:
            names = chosen[index]
            if len(names) == 1:
                exclusive.setdefault(names[0], []).append(pattern)
            else:
                steps.append(PlanStep([pattern], names, estimate=self._estimate(pattern, names)))
        for name, patterns in exclusive.items():
            for component in _components(patterns):
                estimate = min(self._estimate(p, [name]) for p in component)
                steps.append(PlanStep(component, [name], estimate=estimate))
        for step in steps:
            for f in analysis.filters:
                if f.exists or not f.variables or not f.variables <= step.variables:
                    continue
                if f.geof and not all(self.sources[n].config.geosparql for n in step.sources):
                    continue
                step.filters.append(f)
                step.estimate *= 0.1
        ordered: list[PlanStep] = []
        bound: set[str] = set()
        remaining = steps[:]
        spatial = [f for f in analysis.filters if f.geof and not f.exists]

        def cross(step: PlanStep) -> list[TopFilter]:
            # geof: filters linking the step to what is already bound (a spatial join): pushable with VALUES
            if not all(self.sources[n].config.geosparql for n in step.sources):
                return []
            return [f for f in spatial if f.variables & step.variables and f.variables - step.variables and f.variables - step.variables <= bound]

        while remaining:
            links = {id(s): cross(s) for s in remaining}
            connected = [s for s in remaining if s.variables & bound or links[id(s)]]
            pick = min(connected or remaining, key=lambda s: s.estimate * (0.01 if links[id(s)] else 1.0))
            remaining.remove(pick)
            pick.cross_filters = links[id(pick)]
            ordered.append(pick)
            bound |= pick.variables
        others = [
            PlanStep([p], chosen[i], estimate=self._estimate(p, chosen[i])) for i, p in enumerate(analysis.patterns) if not p.required and chosen[i]
        ]
        return ordered, others

    # -- execution -----------------------------------------------------------------------

    async def _fetch(self, step: PlanStep, header: str, values: list[str], failed: list[str], partial: bool) -> list[bytes]:
        template = " . ".join(p.render() for p in step.patterns)
        where = template + "".join(f" FILTER {f.text}" for f in step.filters)
        queries = [f"{header}\nCONSTRUCT {{ {template} }} WHERE {{ {block} {where} }}" for block in values] if values else [f"{header}\nCONSTRUCT {{ {template} }} WHERE {{ {where} }}"]
        step.batches = len(queries)
        jobs = [(name, q) for name in step.sources for q in queries]
        answers = await asyncio.gather(*(self.sources[name].construct(q) for name, q in jobs), return_exceptions=True)
        out = []
        for (name, _), answer in zip(jobs, answers):
            if isinstance(answer, BaseException):
                if not isinstance(answer, EolinkError):
                    raise answer
                if not partial:
                    raise answer if isinstance(answer, FederationError) else FederationError(f"source {name} failed: {answer}") from answer
                if name not in failed:
                    failed.append(name)
                continue
            out.append(answer)
        return out

    def _bindings(self, local: ox.Store, fetched: list[PlanStep], variables: list[str]) -> list[tuple]:
        """Distinct bindings of ``variables`` over the fetched steps connected to them (never a cross product of unrelated steps)."""
        where = " . ".join(p.render() for s in _connected(fetched, set(variables)) for p in s.patterns)
        names = " ".join("?" + v for v in variables)
        solutions = local.query(f"SELECT DISTINCT {names} WHERE {{ {where} }}")
        return [tuple(s) for s in solutions]

    def _values_blocks(self, variables: list[str], rows: list[tuple]) -> list[str]:
        size = max(1, self.config.batch_size)
        head = "(" + " ".join("?" + v for v in variables) + ")"
        blocks = []
        for start in range(0, len(rows), size):
            body = " ".join("(" + " ".join("UNDEF" if t is None or isinstance(t, ox.BlankNode) else str(t) for t in row) + ")" for row in rows[start : start + size])
            blocks.append(f"VALUES {head} {{ {body} }}")
        return blocks

    async def _replace_services(self, query: str, header: str, failed: list[str], partial: bool) -> str:
        services = find_services(query)
        if not services:
            return query
        allowed = {s.endpoint for s in self.config.sources if s.endpoint} | {f"urn:eolink:source:{s.name}" for s in self.config.sources}
        for clause in services:
            if clause.iri not in allowed:
                raise QueryError(f"SERVICE <{clause.iri}> is not a configured federation source")
        async def run(clause):  # noqa: ANN001, ANN202
            source = self.sources[self.config.by_endpoint(clause.iri).name]  # type: ignore[union-attr]
            try:
                return await source.select(f"{header}\nSELECT * WHERE {{ {clause.group} }}")
            except FederationError:
                if clause.silent:
                    return None
                if partial:
                    failed.append(source.name)
                    return QueryResult.select([], [])
                raise
        results = await asyncio.gather(*(run(c) for c in services))
        pieces = []
        cursor = 0
        for clause, result in zip(services, results):
            pieces.append(query[cursor : clause.start])
            if result is None or not result.variables:
                pieces.append("{ }" if result is None or result.rows else "{ FILTER(false) }")
            else:
                head = "(" + " ".join("?" + v for v in result.variables) + ")"
                body = " ".join("(" + " ".join("UNDEF" if t is None or isinstance(t, ox.BlankNode) else str(t) for t in row) + ")" for row in result.rows)
                pieces.append(f"{{ VALUES {head} {{ {body} }} }}")
            cursor = clause.end
        pieces.append(query[cursor:])
        return "".join(pieces)

    async def query(self, sparql: str, *, partial: bool = False, limit: int | None = None, max_depth: int = 200) -> FederatedAnswer:
        """Answer ``sparql`` over the federation; ``partial`` skips failing sources instead of raising."""
        allowed = [s.endpoint for s in self.config.sources if s.endpoint] + [f"urn:eolink:source:{s.name}" for s in self.config.sources]
        check_query(sparql, max_depth=max_depth, allowed_services=allowed)
        header = prologue(sparql)
        failed: list[str] = []
        before = self.requests
        rewritten = await self._replace_services(sparql, header, failed, partial)
        analysis = _analyse(rewritten)
        if analysis.form == "DESCRIBE":
            return await self._describe(rewritten, failed, partial, before, limit)
        if analysis.has_graph:
            raise QueryError("GRAPH patterns are not supported over a federation (its default graph is the union of the sources)")
        chosen = await self._select_sources(analysis.patterns, analysis.filters, header)
        steps, others = self._plan(analysis, chosen)
        local = ox.Store()
        fetched: list[PlanStep] = []
        bound: set[str] = set()
        empty = False
        # round one, concurrently: the first step and every small independent group (a bind join
        # cannot pay for a group that small, so nothing is lost by not waiting for its partners)
        first = [s for i, s in enumerate(steps) if i == 0 or (s.estimate <= _PREFETCH and not s.cross_filters)]
        if first and all(s.sources for s in first):
            batches = await asyncio.gather(*(self._fetch(s, header, [], failed, partial) for s in first))
            for step, batch in zip(first, batches):
                for data in batch:
                    if data:
                        await asyncio.to_thread(local.bulk_load, data, format=ox.RdfFormat.N_TRIPLES)
                fetched.append(step)
                bound |= step.variables
        elif first:
            empty = True
        for step in steps:
            if step in fetched:
                continue
            shared = sorted(step.variables & bound)
            values: list[str] = []
            if shared and not empty:
                shared, rows = await self._best_bindings(local, fetched, shared, step)
                if not rows:
                    empty = True
                elif _bind_pays(len(rows), step.estimate):
                    step.bind_variables = shared
                    values = self._values_blocks(shared, rows)
            if empty or not step.sources:
                empty = True
                continue
            pushed = await self._push_cross_filters(local, fetched, step)
            if pushed:
                values = [block + " " + pushed for block in values] if values else [pushed]
            for data in await self._fetch(step, header, values, failed, partial):
                if data:
                    await asyncio.to_thread(local.bulk_load, data, format=ox.RdfFormat.N_TRIPLES)
            fetched.append(step)
            bound |= step.variables
        if not empty:
            await self._fetch_others(local, others, fetched, bound, analysis, header, failed, partial)
        result = await asyncio.to_thread(_evaluate, local, rewritten, limit)
        after = self.requests
        used = {name: after[name] - before[name] for name in after}
        return FederatedAnswer(result, bool(failed), failed, steps + others, used)

    def _domain(self, step: PlanStep, var: str) -> float:
        """How many distinct values ``var`` takes in ``step``'s patterns at its sources (VoID distinct subjects/objects)."""
        best = float("inf")
        for pattern in step.patterns:
            predicate = pattern.constant("p")
            position = "s" if str(pattern.s) == var else "o" if str(pattern.o) == var else None
            if predicate is None or position is None:
                continue
            total = 0.0
            for name in step.sources:
                stats = self.descriptions.get(name).predicates.get(predicate) if name in self.descriptions else None
                if stats is None:
                    total = float("inf")
                    break
                total += stats.distinct_subjects if position == "s" else stats.distinct_objects
            best = min(best, total)
        return best if best != float("inf") else max(step.estimate, 1.0)

    async def _best_bindings(self, local: ox.Store, fetched: list[PlanStep], shared: list[str], step: PlanStep | None = None) -> tuple[list[str], list[tuple]]:
        """The join variables to bind and their bindings: all of them when one connected part of what
        was fetched binds them, else the part giving the fewest bindings (a superset restriction stays exact)."""
        parts: list[list[str]] = []
        for var in shared:
            component = _connected(fetched, {var})
            for part in parts:
                if _connected(fetched, {part[0]}) == component:
                    part.append(var)
                    break
            else:
                parts.append([var])
        best: tuple[list[str], list[tuple]] | None = None
        best_share = float("inf")
        for part in parts:
            rows = await asyncio.to_thread(self._bindings, local, fetched, part)
            # the most selective restriction: fewest bindings relative to the values the step can take
            share = len(rows) / max(max(self._domain(step, v) for v in part), 1.0) if step is not None else len(rows)
            if best is None or share < best_share:
                best, best_share = (part, rows), share
        return best  # type: ignore[return-value]

    async def _push_cross_filters(self, local: ox.Store, fetched: list[PlanStep], step: PlanStep) -> str:
        """VALUES of the other side's bindings plus the spatial-join filters, when those bindings are few."""
        if not step.cross_filters:
            return ""
        extra = sorted(set().union(*(f.variables for f in step.cross_filters)) - step.variables)
        rows = await asyncio.to_thread(self._bindings, local, fetched, extra)
        if not rows or len(rows) > _CROSS_LIMIT:
            step.cross_filters = []
            return ""
        block = self._values_blocks(extra, rows)
        if len(block) != 1:
            step.cross_filters = []
            return ""
        return block[0] + "".join(f" FILTER {f.text}" for f in step.cross_filters)

    async def _describe(self, sparql: str, failed: list[str], partial: bool, before: dict[str, int], limit: int | None) -> FederatedAnswer:
        """DESCRIBE: every source describes the resources; the answer is the union of their descriptions."""
        names = list(self.sources)
        answers = await asyncio.gather(*(self.sources[n].construct(sparql) for n in names), return_exceptions=True)
        local = ox.Store()
        for name, answer in zip(names, answers):
            if isinstance(answer, BaseException):
                if not isinstance(answer, EolinkError) or not partial:
                    raise answer
                failed.append(name)
            elif answer:
                local.bulk_load(answer, format=ox.RdfFormat.N_TRIPLES)
        result = _evaluate(local, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", limit)
        after = self.requests
        return FederatedAnswer(result, bool(failed), failed, [], {n: after[n] - before[n] for n in after})

    async def _fetch_others(self, local, others, fetched, bound, analysis, header, failed, partial) -> None:  # noqa: ANN001
        jobs = []
        for step in others:
            shared = sorted(step.variables & bound) if not analysis.has_subquery else []
            values: list[str] = []
            if shared:
                shared, rows = await self._best_bindings(local, fetched, shared, step)
                if not rows:
                    continue
                if _bind_pays(len(rows), step.estimate):
                    step.bind_variables = shared
                    values = self._values_blocks(shared, rows)
            jobs.append(self._fetch(step, header, values, failed, partial))
        for batch in await asyncio.gather(*jobs):
            for data in batch:
                if data:
                    await asyncio.to_thread(local.bulk_load, data, format=ox.RdfFormat.N_TRIPLES)


def _time_overlaps(description: SourceDescription, low: str, high: str) -> bool:
    """Whether the source's date/dateTime literals can fall in [low, high] (lexical ISO comparison of one kind)."""
    if description.time_start is None:
        return False  # no date or dateTime literal at all: a date comparison can never hold
    for bound in (low, high):
        if bound and ("T" in bound) != ("T" in description.time_start):
            return True  # mixed kinds: do not guess
    if low and description.time_end < low:
        return False
    return not (high and description.time_start > high)


def _connected(fetched: list[PlanStep], variables: set[str]) -> list[PlanStep]:
    """The fetched steps reachable from ``variables`` through shared variables."""
    reached: list[PlanStep] = []
    frontier = set(variables)
    changed = True
    while changed:
        changed = False
        for step in fetched:
            if step not in reached and step.variables & frontier:
                reached.append(step)
                frontier |= step.variables
                changed = True
    return reached


def _bind_pays(bindings: int, estimate: float) -> bool:
    """Whether a bind join (VALUES batches) beats fetching the pattern group whole.

    A bind join sends the bindings and gets at most the matching part back; a whole
    fetch is one request per source but returns every match. Binding only pays when
    the bindings are clearly fewer than the group's estimated matches.
    """
    return bindings <= _BIND_LIMIT and bindings * 2 <= estimate


def _components(patterns: list[TriplePattern]) -> list[list[TriplePattern]]:
    """Patterns grouped into components connected by shared variables."""
    groups: list[list[TriplePattern]] = []
    for pattern in patterns:
        linked = [g for g in groups if any(pattern.variables & p.variables for p in g)]
        merged = [pattern] + [p for g in linked for p in g]
        groups = [g for g in groups if g not in linked] + [merged]
    return groups


@functools.lru_cache(maxsize=256)
def _analyse(query: str) -> QueryAnalysis:
    """:func:`analyse_query` with a cache: rdflib's parser takes ~0.1 s per query (a prepared-plan cache)."""
    return analyse_query(query)


def _evaluate(local: ox.Store, sparql: str, limit: int | None) -> QueryResult:
    from eolink.sparql.geosparql import custom_aggregates, custom_functions

    kwargs: dict[str, object] = {"custom_functions": custom_functions()}
    aggregates = custom_aggregates()
    if aggregates:
        kwargs["custom_aggregate_functions"] = aggregates
    try:
        answer = local.query(sparql, **kwargs)
    except SyntaxError as err:
        raise QueryError(f"SPARQL syntax error: {err}") from err
    except (OSError, ValueError, TypeError) as err:
        raise QueryError(f"query failed: {err}") from err
    if isinstance(answer, (bool, ox.QueryBoolean)):
        return QueryResult.ask(bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        names = [v.value for v in answer.variables]
        rows = [tuple(solution) for solution in itertools.islice(answer, None if limit is None else limit + 1)]
        truncated = limit is not None and len(rows) > limit
        return QueryResult.select(names, rows[:limit] if truncated else rows, truncated=truncated)
    triples = list(itertools.islice(answer, None if limit is None else limit + 1))
    truncated = limit is not None and len(triples) > limit
    return QueryResult.graph(triples[:limit] if truncated else triples, truncated=truncated)
