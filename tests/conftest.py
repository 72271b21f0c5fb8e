"""Shared fixtures: the demo world, written once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the demo world of :func:`eolink.samples.write_demo_world` (default seed)."""
    from eolink.samples import write_demo_world

    directory = tmp_path_factory.mktemp("demo_world")
    write_demo_world(directory)
    return directory
