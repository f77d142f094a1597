"""sslyze, the peer `make bench` compares the suite with, from a virtual environment of its own.

It lives in bench/.peer-venv, made on first use, so that its pinned dependencies never touch the suite's
.venv: a peer tool used only for comparison is never one of the suite's dependencies.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The peer's version is pinned so that figures of different days compare; a new pin rebuilds the venv.
SSLYZE = "sslyze==6.3.1"
PEER_VENV = ROOT / "bench" / ".peer-venv"


def peer_python() -> tuple[Path | None, str]:
    """The Python of bench/.peer-venv with sslyze in it, made on first use; (None, why) when it cannot be.

    The venv is built in a fresh folder and renamed into place only once pip succeeded, so a run
    stopped half-way, or without a network, leaves nothing a later run would take for a good install.
    It is run as `python -m sslyze`: a venv's entry-point scripts name the folder they were made in.
    """
    python = PEER_VENV / "bin" / "python"
    stamp = PEER_VENV / "installed.txt"
    if python.is_file() and stamp.is_file() and stamp.read_text().strip() == SSLYZE:
        return python, f"{SSLYZE} in {PEER_VENV.relative_to(ROOT)}"
    work = Path(tempfile.mkdtemp(prefix=".peer-venv-", dir=PEER_VENV.parent))
    try:
        steps = ([sys.executable, "-m", "venv", str(work)],
                 [str(work / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                  SSLYZE])
        for step in steps:
            try:
                done = subprocess.run(step, capture_output=True, text=True, timeout=900, cwd=work)
            except (OSError, subprocess.TimeoutExpired) as e:
                return None, f"`{' '.join(step[1:4])} ...` did not complete: {e}"
            if done.returncode != 0:
                last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["no output"]
                return None, f"`{' '.join(step[1:4])} ...` failed (no network or no registry?): {last[0][:300]}"
        (work / "installed.txt").write_text(SSLYZE + "\n")
        shutil.rmtree(PEER_VENV, ignore_errors=True)
        work.rename(PEER_VENV)
        return python, f"{SSLYZE} installed in {PEER_VENV.relative_to(ROOT)}"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def sslyze(folder: Path, root_pem: Path, python: Path, targets: Sequence[str]) -> None:
    """sslyze --certinfo with the sandbox's root as its CA file, as a person would run it over the same pods."""
    out = folder / "sslyze.json"
    done = subprocess.run(
        [str(python), "-m", "sslyze", "--certinfo", f"--certinfo_ca_file={root_pem}", f"--json_out={out}",
         *targets], capture_output=True, text=True, timeout=600, cwd=folder)
    if done.returncode != 0:
        raise SystemExit(f"sslyze failed against the sandbox:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    _check_sslyze(out, len(targets))


def _check_sslyze(path: Path, expected: int) -> None:
    """A peer that failed fast would look fast: every endpoint must be scanned and trusted by the CA file."""
    results = json.loads(path.read_text())["server_scan_results"]
    good = 0
    for r in results:
        info = (r.get("scan_result") or {}).get("certificate_info") or {}
        for deployment in (info.get("result") or {}).get("certificate_deployments", []):
            if any(v["trust_store"]["name"] == "Supplied CA file" and v["was_validation_successful"]
                   for v in deployment["path_validation_results"]):
                good += 1
                break
    if good != expected:
        raise SystemExit(f"sslyze validated {good} of {expected} endpoints against the sandbox's root; "
                         f"its results are in {path}")
