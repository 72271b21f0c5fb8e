"""Extract-transform-load: readers (files -> feature tables), RML (tables -> RDF), the ingest pipeline."""

__all__: list[str] = []
