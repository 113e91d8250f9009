"""Access to the real Google Trends exports copied into the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SAMPLES_DIR = ROOT / "generation" / "samples"
FIXTURES_DIR = ROOT / "tests" / "fixtures" / "trends"


def export_path(filename: str) -> Path:
    """Return the path of a real export among the samples or the fixtures."""
    for folder in (SAMPLES_DIR, FIXTURES_DIR):
        path = folder / filename
        if path.exists():
            return path
    raise FileNotFoundError(f"No copied export is called {filename}")


@pytest.fixture
def read_export():
    """Return a function that reads a copied export's bytes by file name."""
    return lambda filename: export_path(filename).read_bytes()
