"""Query workers keep answering when the writer compacts the files their read-only view was opened on.

(A view that lists a file the writer deletes before the view opens it fails with "No such
file or directory"; the worker then reopens the store and retries — a race this test cannot
force, but whose outcome, the right answer after a compaction, it checks.)"""

from __future__ import annotations

import asyncio
import json

from eolink.app.routers._executor import QueryCall, QueryExecutor
from eolink.stores import open_store

DATA = "".join(f'<http://e/s{i}> <http://e/p> "{i}" .\n' for i in range(2000))


def _count(executor: QueryExecutor) -> int:
    answer = asyncio.run(executor.run(QueryCall("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", accept="application/sparql-results+json")))
    return int(json.loads(answer.body)["results"]["bindings"][0]["n"]["value"])


def test_worker_reopens_after_a_compaction_removed_its_files(tmp_path):
    store = open_store(tmp_path / "store")
    executor = QueryExecutor(store, max_concurrent=1, timeout_s=60)
    try:
        for k in range(4):
            store.load(f"http://e/g{k}", DATA)
        # the worker opens the store on the current files, and reads few of them
        ask = asyncio.run(executor.run(QueryCall("ASK { <http://e/s1> <http://e/p> \"1\" }", accept="application/sparql-results+json")))
        assert json.loads(ask.body)["boolean"] is True
        # a compaction that no load announced (same generation): the worker's files are gone
        store._store.optimize()
        store.flush()
        assert _count(executor) == 8000
        assert store.generation == 4
    finally:
        executor.close()
        store.close()
