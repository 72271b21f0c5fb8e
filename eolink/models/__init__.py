"""Models eolink runs: the text-embedding model used by search (EO processors live beside it)."""

__all__: list[str] = []
