"""Where cutover's own files are: the gate modules, and the clone a run may come from.

The gate modules are the package ``cutover.checks`` (the repository's ``checks/`` folder, mapped by
setuptools' ``package-dir``): found through the import system, they are where an editable clone and a
non-editable install keep them, so neither guesses from ``__file__``.
"""

from __future__ import annotations

from pathlib import Path

import cutover.checks

#: The folder of the gate modules that pytest collects.
CHECKS = Path(cutover.checks.__file__).resolve().parent
#: The clone cutover runs from (an editable install), or None for an installed package.
CLONE: Path | None = CHECKS.parent if (CHECKS.parent / "pyproject.toml").is_file() else None


def home() -> Path:
    """Where the default datacenters.toml and reports/ are: the clone's root, else the current folder."""
    return CLONE if CLONE is not None else Path.cwd()
