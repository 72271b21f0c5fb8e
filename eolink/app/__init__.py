"""The HTTP application: SPARQL endpoint, map, and API (FastAPI)."""

__all__: list[str] = []
