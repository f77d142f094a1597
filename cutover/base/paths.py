"""Where cutover's own files are (the gate modules, the clone a run may come from), and the user's defaults.

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


def datacenters_file(cwd: Path) -> Path:
    """The default --datacenters: ``./datacenters.toml`` of the folder the user runs in, then the clone's.

    A user's file lives in their own folder or repository, not in cutover's; the clone's example is the
    fallback so that ``pytest`` in a fresh clone still finds one. With neither, the folder's name is
    returned, so the error names the file a user is expected to write.
    """
    here = cwd / "datacenters.toml"
    if here.is_file() or CLONE is None or not (CLONE / "datacenters.toml").is_file():
        return here
    return CLONE / "datacenters.toml"


def reports_dir(cwd: Path) -> Path:
    """The default folder of reports, JUnit XML, JSON evidence and history: ``./reports/`` of the folder pytest
    (or prepare) runs in, the way pytest's own ``--junitxml`` is relative to it; never the clone's, whose
    history would mix every user's runs."""
    return cwd / "reports"
