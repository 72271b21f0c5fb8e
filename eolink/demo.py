"""The demo: write the sample world, ingest every product, link the overlapping ones.

>>> DEMO_LINKS[0]
('crop-type-map', 'change-mask')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from eolink.etl.pipeline import IngestResult, ingest
from eolink.interlink.linker import LinkRun, link_graphs
from eolink.stores.base import Store

__all__ = ["DemoSummary", "DEMO_LINKS", "build_demo", "demo_product_files"]

#: Product-type pairs linked in the demo (source, target).
DEMO_LINKS: tuple[tuple[str, str], ...] = (
    ("crop-type-map", "change-mask"),
    ("change-mask", "osm-extract"),
    ("sea-ice-chart", "osm-extract"),
    ("scene-catalogue", "change-mask"),
)


_INGEST_ORDER = ("scene-catalogue", "osm-extract", "crop-type-map", "change-mask", "sea-ice-chart")


@dataclass
class DemoSummary:
    """Products ingested and link runs of one demo build."""

    products: list[IngestResult] = field(default_factory=list)
    links: list[LinkRun] = field(default_factory=list)


def demo_product_files(samples_dir: Path) -> list[Path]:
    """The product files of a written demo world, in ingestion order."""
    from eolink.samples import write_demo_world

    world = write_demo_world(samples_dir)
    return [world.products[kind] for kind in _INGEST_ORDER if kind in world.products]


def build_demo(
    store: Store,
    samples_dir: Path,
    *,
    on_progress: Callable[[str, str], None] | None = None,
) -> DemoSummary:
    """Write the demo world into ``samples_dir``, ingest it into ``store`` and link it."""
    notify = on_progress or (lambda stage, what: None)
    notify("samples", str(samples_dir))
    files = demo_product_files(samples_dir)
    summary = DemoSummary()
    summary.products = ingest(files, store, on_progress=lambda stage, path: notify(stage, path.name))
    by_type = {result.product_type: result.graph for result in summary.products}
    for source_type, target_type in DEMO_LINKS:
        if source_type in by_type and target_type in by_type:
            notify("link", f"{source_type} × {target_type}")
            summary.links.append(link_graphs(store, by_type[source_type], by_type[target_type]))
    return summary
