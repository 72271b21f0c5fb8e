"""SPARQL: query guards, result formats, the GeoSPARQL function library, the planner and federation."""

__all__: list[str] = []
