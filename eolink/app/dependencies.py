"""Shared dependencies of the routers: settings and the store, opened once in the lifespan."""

from __future__ import annotations

from fastapi import Request

from eolink.config import Settings
from eolink.errors import AccessDeniedError
from eolink.stores.embedded import EmbeddedStore

__all__ = ["get_settings", "get_store", "require_token"]


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings


def get_store(request: Request) -> EmbeddedStore:
    """The app's store."""
    return request.app.state.store


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
