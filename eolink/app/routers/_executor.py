"""Queries in worker processes: a per-query timeout that really frees what the query holds.

pyoxigraph cannot cancel a running query, and a thread cannot be killed. So the
endpoint runs each query of an on-disk store in a worker *process* that opens the
store read-only; a query that outlives its deadline gets its worker killed (the
operating system takes back its memory and CPU at once) and a fresh worker is
started for the next query. There are at most ``max_concurrent_queries`` workers;
when all are busy the endpoint answers 503 with ``Retry-After`` instead of
queueing without bound.

Workers see every write: the store's ``generation`` counter moves with each load,
drop and update; before a query the executor flushes the store when it moved, and a
worker whose store is older reopens it before its next query (and reopens it when
a compaction by the writer removed the files it had open). An in-memory store (tests, doctests) cannot be shared with another
process; its queries run in a thread, where the timeout answers the client but
cannot stop the computation.

>>> answer = QueryAnswer("select", "json", b"{}", False, 0)
>>> answer.truncated
False
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from eolink.errors import EolinkError, QueryError, QueryTimeoutError, StoreError

__all__ = ["QueryExecutor", "QueryCall", "QueryAnswer", "EndpointBusyError"]

_START_TIMEOUT_S = 60.0
T = TypeVar("T")


class EndpointBusyError(QueryTimeoutError):
    """Every query slot is taken; the client should retry after ``retry_after`` seconds."""

    status = 503
    title = "Endpoint busy"

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class QueryCall:
    """One query to run: the text, store keyword arguments and the format request."""

    sparql: str
    kwargs: dict[str, object] = field(default_factory=dict)
    accept: str | None = None
    requested: str | None = None


@dataclass(frozen=True)
class QueryAnswer:
    """A serialised answer: result kind, format name, body, whether rows were cut, row count."""

    kind: str
    fmt: str
    body: bytes
    truncated: bool
    count: int


def _answer(store: object, call: QueryCall) -> QueryAnswer:
    from eolink.sparql.results import negotiate, serialize

    result = store.query(call.sparql, **call.kwargs)  # type: ignore[attr-defined]
    fmt = negotiate(call.accept, result.kind, call.requested)
    return QueryAnswer(result.kind, fmt, serialize(result, fmt), result.truncated, len(result))


#: A read-only view of the store lists the files it was opened on; a compaction by the writer
#: (RocksDB's own, in the background, or ours after a large load) removes them, and the view's
#: next read then fails with one of these messages. pyoxigraph calls reading beside a writer
#: undefined behaviour; a fresh view after the compaction reads the merged files.
_VANISHED_FILE_MESSAGES = ("No such file or directory", "Corruption")
#: attempts and the longest pause between two (≈ 7 s in all: a compaction on a busy machine takes seconds)
_REOPEN_ATTEMPTS = 9
_LONGEST_PAUSE_S = 2.0


def _files_vanished(err: EolinkError) -> bool:
    return any(m in err.message for m in _VANISHED_FILE_MESSAGES)


def _beside_the_writer(action: Callable[[], T]) -> T:
    """``action()``, repeated with a growing pause while it fails because a compaction removed files it listed."""
    for attempt in range(_REOPEN_ATTEMPTS):
        try:
            return action()
        except EolinkError as err:
            if attempt + 1 == _REOPEN_ATTEMPTS or not _files_vanished(err):
                raise
            time.sleep(min(0.05 * 2**attempt, _LONGEST_PAUSE_S))
    raise AssertionError("unreachable")  # pragma: no cover


def _worker_main(conn: multiprocessing.connection.Connection, path: str, generation: int) -> None:  # pragma: no cover - child process
    """Loop of one worker process: open the store read-only, answer calls until the pipe closes."""
    from eolink.stores.embedded import EmbeddedStore

    def open_view() -> EmbeddedStore:
        view = EmbeddedStore(Path(path), read_only=True)
        view.query("ASK {}")  # builds the GeoSPARQL function table too
        return view

    # open the store before saying ready: start-up is not charged to the first query's timeout
    store: EmbeddedStore | None = _beside_the_writer(open_view)
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        wanted, call = message

        def answer_on_a_current_view() -> QueryAnswer:
            nonlocal store, generation
            if store is None or wanted != generation:
                if store is not None:
                    store.close()
                    store = None
                store, generation = open_view(), wanted
            try:
                return _answer(store, call)
            except EolinkError as err:
                if _files_vanished(err):  # reopened on the next attempt
                    store.close()
                    store = None
                raise

        try:
            conn.send(("ok", _beside_the_writer(answer_on_a_current_view)))
        except EolinkError as err:
            conn.send(("error", type(err).__name__, err.message))
        except Exception as err:  # noqa: BLE001 - reported to the parent as a query error
            conn.send(("error", "QueryError", f"query failed: {err}"))


def _context() -> multiprocessing.context.BaseContext:
    """A fork server that has imported the store and the GeoSPARQL library once.

    Workers fork from it in milliseconds; it never opened a store, so no RocksDB
    threads are forked (forking the app process itself would be unsafe).
    """
    global _CTX
    if _CTX is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["eolink.stores.embedded", "eolink.sparql.geosparql", "eolink.sparql.results", __name__])
        _CTX = ctx
    return _CTX


_CTX: multiprocessing.context.BaseContext | None = None


class _Worker:
    def __init__(self, path: Path, generation: int) -> None:
        ctx = _context()
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, str(path), generation), daemon=True, name="eolink-query")
        self.process.start()
        child.close()
        try:
            if not self.conn.poll(_START_TIMEOUT_S):
                raise EOFError
            self.conn.recv()
        except (EOFError, OSError) as err:
            self.kill()
            raise StoreError("a query worker could not start (cannot open the store read-only?)") from err

    def call(self, generation: int, call: QueryCall, timeout_s: float) -> QueryAnswer:
        self.conn.send((generation, call))
        if not self.conn.poll(timeout_s):
            self.kill()
            raise QueryTimeoutError(f"the query ran longer than {timeout_s:g} s and was cancelled")
        try:
            reply = self.conn.recv()
        except (EOFError, OSError) as err:
            self.kill()
            raise QueryError("the query worker died while answering (out of memory?)") from err
        if reply[0] == "ok":
            return reply[1]
        import eolink.errors as errors

        cls = getattr(errors, reply[1], QueryError)
        raise cls(reply[2])

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=10)
        self.conn.close()


class QueryExecutor:
    """Runs queries with a timeout and a concurrency limit (see the module docstring).

    Parameters
    ----------
    store
        The app's store; its ``path`` decides between worker processes (on disk) and a thread (in memory).
    max_concurrent
        Queries running at once; more get :class:`EndpointBusyError`.
    timeout_s
        Per-query limit; a query running longer is cancelled (its worker killed).
    """

    def __init__(self, store: object, *, max_concurrent: int, timeout_s: float) -> None:
        self.store = store
        self.path: Path | None = getattr(store, "path", None)
        self.max_concurrent = max(1, int(max_concurrent))
        self.timeout_s = float(timeout_s)
        self.generation = 0
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._busy = 0
        self.cancelled = 0
        self._invalidations = 0

    def _current_generation(self) -> int:
        """The store's write counter (bumped by every load, drop and update) plus explicit invalidations.

        When it moved since the last query, the store is flushed so that workers reopening it
        read-only see the write.
        """
        generation = int(getattr(self.store, "generation", 0)) + self._invalidations
        with self._lock:
            if generation != self.generation:
                flush = getattr(self.store, "flush", None)
                if flush is not None:
                    flush()
                self.generation = generation
        return generation

    def _acquire(self) -> _Worker | None:
        with self._lock:
            if self._busy >= self.max_concurrent:
                raise EndpointBusyError(
                    f"all {self.max_concurrent} query slots are busy; retry shortly", retry_after=max(1, int(self.timeout_s // 4) or 1)
                )
            self._busy += 1
            while self._idle:
                worker = self._idle.pop()
                if worker.alive:
                    return worker
            return None

    def _release(self, worker: _Worker | None) -> None:
        with self._lock:
            self._busy -= 1
            if worker is not None and worker.alive:
                self._idle.append(worker)

    def _run_blocking(self, call: QueryCall) -> QueryAnswer:
        worker = self._acquire()
        try:
            if self.path is None:
                return _answer(self.store, call)
            generation = self._current_generation()
            if worker is None:
                worker = _Worker(self.path, generation)
            try:
                return worker.call(generation, call, self.timeout_s)
            except QueryTimeoutError:
                self.cancelled += 1
                raise
        finally:
            self._release(worker)

    async def run(self, call: QueryCall) -> QueryAnswer:
        """Answer ``call``; raises :class:`QueryTimeoutError` or :class:`EndpointBusyError`."""
        if self.path is not None:
            return await asyncio.to_thread(self._run_blocking, call)
        started = time.monotonic()
        task = asyncio.to_thread(self._run_blocking, call)
        try:
            return await asyncio.wait_for(task, self.timeout_s)
        except asyncio.TimeoutError as err:
            raise QueryTimeoutError(
                f"the query ran longer than {self.timeout_s:g} s ({time.monotonic() - started:.1f} s); an in-memory store cannot cancel it"
            ) from err

    def invalidate(self) -> None:
        """Tell the workers the store changed outside its own write methods."""
        with self._lock:
            self._invalidations += 1

    @property
    def workers(self) -> list[int]:
        """Process ids of the idle workers (for tests and monitoring)."""
        with self._lock:
            return [w.process.pid for w in self._idle if w.alive]

    def close(self) -> None:
        """Stop every idle worker."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()
