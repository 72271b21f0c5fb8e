"""Shared dependencies of the routers: settings, the store, the query executor, the federation, the token check."""

from __future__ import annotations

import threading

from fastapi import Request

from eolink.config import Settings
from eolink.errors import AccessDeniedError
from eolink.stores.embedded import EmbeddedStore

__all__ = ["get_settings", "get_store", "get_executor", "get_federation", "require_token", "store_changed"]

_lock = threading.Lock()


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings


def get_store(request: Request) -> EmbeddedStore:
    """The app's store."""
    return request.app.state.store


def get_executor(request: Request):  # noqa: ANN201 - eolink.app.routers._executor.QueryExecutor
    """The app's query executor (worker processes with timeout and concurrency limit), made on first use."""
    state = request.app.state
    executor = getattr(state, "executor", None)
    if executor is None or executor.store is not state.store:
        from eolink.app.routers._executor import QueryExecutor

        with _lock:
            executor = getattr(state, "executor", None)
            if executor is None or executor.store is not state.store:
                settings: Settings = state.settings
                executor = QueryExecutor(state.store, max_concurrent=settings.max_concurrent_queries, timeout_s=settings.query_timeout_s)
                state.executor = executor
    return executor


def get_federation(request: Request):  # noqa: ANN201 - eolink.sparql.federation.Federation | None
    """The federation the endpoint answers over, or ``None`` for the local store.

    ``eolink federate serve`` sets ``app.state.federation_config`` (a TOML path), as does
    the ``EOLINK_FEDERATION`` environment variable for ``eolink serve``; the federation
    is built on first use so that local sources can use the served store.
    """
    import os

    state = request.app.state
    if not hasattr(state, "federation_config"):
        state.federation_config = os.environ.get("EOLINK_FEDERATION") or None
    federation = getattr(state, "federation", None)
    if federation is None and getattr(state, "federation_config", None) is not None:
        from eolink.sparql.federation import Federation

        with _lock:
            federation = getattr(state, "federation", None)
            if federation is None:
                federation = Federation.from_file(state.federation_config, store=state.store)
                state.federation = federation
    return federation


def store_changed(request: Request) -> None:
    """Tell the query workers that the store was written to."""
    executor = getattr(request.app.state, "executor", None)
    if executor is not None:
        executor.invalidate()
    request.app.state.void_cache = None


def require_token(request: Request) -> None:
    """Allow the request only with ``Authorization: Bearer <token>`` matching the configured token."""
    import hmac

    settings: Settings = request.app.state.settings
    if not settings.token:
        raise AccessDeniedError("this endpoint is read-only: start it with a token (--token or EOLINK_TOKEN) to allow updates")
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), settings.token.encode()):
        raise AccessDeniedError("a valid bearer token is required for updates")
