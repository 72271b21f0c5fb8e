"""Settings of an eolink installation, read from keyword arguments or ``EOLINK_*`` variables.

>>> s = Settings(data_dir=Path("/tmp/x"))
>>> s.store_dir
PosixPath('/tmp/x/store')
>>> Settings.from_env({"EOLINK_RESULT_LIMIT": "10"}).result_limit
10
>>> Settings.from_env({"EOLINK_RDFS": "false"}).rdfs
False
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Settings", "default_data_dir"]


def default_data_dir() -> Path:
    """``$EOLINK_DATA_DIR`` or ``$XDG_DATA_HOME/eolink`` (``~/.local/share/eolink``)."""
    if env := os.environ.get("EOLINK_DATA_DIR"):
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "eolink"


@dataclass
class Settings:
    """One place for every tunable of the store, the endpoint and the app.

    ``token``: the bearer token that enables SPARQL Update and writes over HTTP;
    without one the endpoint is read-only. Limits protect the endpoint: a query
    longer than ``max_query_bytes`` or nested deeper than ``max_query_depth`` is
    refused before it reaches the parser; ``result_limit`` caps rows returned;
    ``query_timeout_s`` bounds the time one query may take. ``rdfs`` and ``rewrite``
    switch on RDFS entailment and the GeoSPARQL query rewrite extension in the store.
    """

    data_dir: Path = field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    query_timeout_s: float = 30.0
    result_limit: int = 100_000
    max_query_bytes: int = 1_000_000
    max_query_depth: int = 200
    max_concurrent_queries: int = 8
    max_upload_bytes: int = 512 * 1024 * 1024
    rdfs: bool = False
    rewrite: bool = False

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).expanduser()

    @property
    def store_dir(self) -> Path:
        """Directory of the embedded RDF store."""
        return self.data_dir / "store"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``EOLINK_<FIELD>`` variables, then explicit ``overrides`` (None values ignored)."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f"EOLINK_{f.name.upper()}")
            if raw is None:
                continue
            kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "str")
            if kind == "bool":
                values[f.name] = raw.strip().lower() in ("1", "true", "yes", "on")
            elif "int" in kind and "float" not in kind:
                values[f.name] = int(raw)
            elif "float" in kind:
                values[f.name] = float(raw)
            elif "Path" in kind:
                values[f.name] = Path(raw)
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
