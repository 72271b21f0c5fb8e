"""Assemble the FastAPI application: routers, lifespan, error handling.

Every module of :mod:`eolink.app.routers` that defines ``router`` is included.

>>> from eolink.config import Settings
>>> app = create_app(Settings(data_dir="/tmp/eolink-doctest"), store=None)
>>> "/sparql" in app.openapi()["paths"]
True
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from eolink import __version__
import importlib
import pkgutil

from eolink.app import routers
from eolink.config import Settings
from eolink.errors import EolinkError
from eolink.stores.embedded import EmbeddedStore

__all__ = ["create_app", "STATIC_DIR"]

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings, *, store: EmbeddedStore | None = None) -> FastAPI:
    """The eolink app over ``store`` (opened from ``settings.store_dir`` when not given)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202 - FastAPI lifespan protocol
        owned = store is None
        app.state.store = EmbeddedStore(settings.store_dir, rdfs=settings.rdfs, rewrite=settings.rewrite) if owned else store
        try:
            yield
        finally:
            if owned:
                app.state.store.close()

    app = FastAPI(title="eolink", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["X-Eolink-Truncated", "X-Eolink-Result-Limit", "X-Eolink-Partial", "X-Eolink-Failed-Sources", "Retry-After"],
    )

    @app.exception_handler(EolinkError)
    async def problem(_: Request, err: EolinkError) -> JSONResponse:
        return JSONResponse(err.problem(), status_code=err.status, media_type="application/problem+json")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/map")

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    for info in sorted(pkgutil.iter_modules(routers.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{routers.__name__}.{info.name}")
        if hasattr(module, "router"):
            app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    return app
