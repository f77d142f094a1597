"""Where cutover's own files are: the gate modules, and the clone a run may come from.

The gate modules are the package ``cutover.checks`` (the repository's ``checks/`` folder, mapped by
setuptools' ``package-dir``). Found through the import system, they are wherever an editable clone or a
non-editable install keeps them, so nothing guesses from ``__file__`` (a guess that pointed an installed
cutover at ``site-packages/checks``, which does not exist).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def _checks() -> Path:
    spec = importlib.util.find_spec("cutover.checks")
    if spec is None or spec.origin is None:  # a broken install: say so rather than collect nothing
        raise ImportError("cutover.checks is missing from this installation of cutover; reinstall it "
                          "(pip install --force-reinstall cutover, or pip install -e . in a clone).")
    return Path(spec.origin).resolve().parent


#: The folder of the gate modules that pytest collects.
CHECKS = _checks()
#: The clone cutover runs from (an editable install), or None for an installed package.
CLONE: Path | None = CHECKS.parent if (CHECKS.parent / "pyproject.toml").is_file() else None


def home() -> Path:
    """Where the default datacenters.toml and reports/ are: the clone's root, else the current folder."""
    return CLONE if CLONE is not None else Path.cwd()
