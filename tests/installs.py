"""A copy of the project installed into a fresh venv, offline, the way a user's pip installs it.

pip builds the project with the setuptools wheel that make's venv target keeps on disk, and the suite's
dependencies come from this environment through a .pth file, so no test reaches a package index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def install_copy(tmp_path: Path, *, editable: bool, without: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """Install a copy of the tracked files (less `without`) into a new venv; return (its bin folder, the copy)."""
    wheelhouse = Path(sys.prefix) / "wheelhouse"
    if not list(wheelhouse.glob("setuptools-*.whl")):
        pytest.skip(f"no build backend in {wheelhouse} to install offline with (make's venv target puts one there)")
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: cannot tell the project's files")
    project = tmp_path / "cutover"
    for name in listed.stdout.splitlines():
        if name not in without and (ROOT / name).is_file():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, project / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    ask = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = subprocess.run([str(bindir / "python"), "-c", ask], capture_output=True, text=True, check=True,
                             timeout=60).stdout.strip()
    Path(purelib, "suite-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = subprocess.run([str(bindir / "python"), "-m", "pip", "install", "--quiet", "--no-index", "--find-links",
                          str(wheelhouse), "--no-deps", *(["-e"] if editable else []), str(project)],
                         capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return bindir, project
