"""Helpers for tests and benchmarks that need real services (a throwaway PostGIS cluster, …)."""

__all__: list[str] = []
