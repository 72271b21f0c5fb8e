"""The exception hierarchy of eolink.

Everything eolink raises on purpose derives from :class:`EolinkError`. Subclasses
also inherit the built-in exception they resemble, so callers that only know the
standard library still catch them. Errors that reach HTTP carry a ``status``.

>>> try:
...     raise InputError("crop.tif: not a GeoTIFF")
... except ValueError as err:
...     print(type(err).__name__, err.status)
InputError 400
"""

from __future__ import annotations

__all__ = [
    "EolinkError",
    "InputError",
    "CRSError",
    "GeometryError",
    "MappingError",
    "ValidationError",
    "StoreError",
    "QueryError",
    "QueryTimeoutError",
    "AccessDeniedError",
    "FederationError",
    "PayloadTooLargeError",
]


class EolinkError(Exception):
    """Root of every error eolink raises on purpose.

    ``status`` is the HTTP status the app answers with; ``title`` a short,
    stable name for the JSON problem body.
    """

    status: int = 500
    title: str = "eolink error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def problem(self) -> dict[str, object]:
        """The RFC 9457 problem body for this error.

        >>> QueryError("bad SPARQL").problem()["status"]
        400
        """
        return {"type": "about:blank", "title": self.title, "status": self.status, "detail": self.message}


class InputError(EolinkError, ValueError):
    """A file or request the user gave cannot be read (missing, empty, corrupt, wrong kind)."""

    status = 400
    title = "Invalid input"


class CRSError(InputError):
    """A coordinate reference system is missing or unknown."""

    title = "Unknown or missing CRS"


class GeometryError(InputError):
    """A geometry is invalid or cannot be parsed."""

    title = "Invalid geometry"


class MappingError(EolinkError, ValueError):
    """An RML mapping is malformed or refers to something that does not exist."""

    status = 400
    title = "Invalid mapping"


class ValidationError(EolinkError, ValueError):
    """RDF failed SHACL validation; ``report`` holds the validator's text report."""

    status = 422
    title = "RDF does not conform to the shapes"

    def __init__(self, message: str, report: str = "") -> None:
        super().__init__(message)
        self.report = report


class StoreError(EolinkError, RuntimeError):
    """The store could not complete an operation; the store is left unchanged."""

    status = 500
    title = "Store error"


class QueryError(EolinkError, ValueError):
    """A SPARQL query or update is malformed or not allowed."""

    status = 400
    title = "Invalid query"


class QueryTimeoutError(QueryError, TimeoutError):
    """A query ran longer than the configured timeout."""

    status = 503
    title = "Query timed out"


class AccessDeniedError(EolinkError, PermissionError):
    """The request needs a token the caller did not present."""

    status = 403
    title = "Forbidden"


class PayloadTooLargeError(InputError):
    """A request or query is larger than the configured limit."""

    status = 413
    title = "Payload too large"


class FederationError(EolinkError, ConnectionError):
    """A federated source failed or is not configured."""

    status = 502
    title = "Federated source failed"
