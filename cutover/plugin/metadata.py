"""pytest-metadata's rows (the HTML report's Environment table) and prepare's --store-diff, read for the run object.

Apart from cutover.plugin.run, which holds the hooks: these read and write pytest's config only.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest


def store_diff(config: pytest.Config) -> dict[str, object] | None:
    """The entries `python -m cutover prepare` changed in the copy this run judged, for the change ticket."""
    path = config.getoption("store_diff", None)
    if not path:
        return None
    import json

    try:
        diff: dict[str, object] = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise pytest.UsageError(f"--store-diff {path}: cannot be read as prepare's JSON ({e}).") from None
    return diff


def rows(config: pytest.Config) -> dict[str, object]:
    """pytest-metadata's rows (pytest-html's Environment table), for the folded copy at the report's end."""
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return {}
    return dict(config.stash.get(metadata_key, {}))


def set_row(config: pytest.Config, key: str, value: str) -> None:
    """A row of the report's Environment table (pytest-metadata, which pytest-html renders)."""
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return
    config.stash[metadata_key][key] = html.escape(value)  # pytest-html renders these values as HTML
