"""pytest as people type it: `--opt value` and `--opt=value`, from any folder, files inside or outside the repo.

pytest settles its rootdir from the command line before cutover's plugin is loaded, and takes an option's
value written as a separate word for a test path; these runs prove the gates do not care. Each case is a
real pytest process against the sandbox, started the way a person starts it: the `pytest` command.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cutover.judge.java import JudgeUnavailable, find_java
from cutover.sandbox import PASSWORD_ENV, Sandbox
from tests.conftest import ROOT, report_files
from tests.installs import install_copy

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast

CHECKS = ROOT / "checks"
PYTEST = Path(sys.executable).with_name("pytest")  # the console script the venv installed
COPIED = ("datacenters.toml", "client-truststore.jks", "certs")


def java_home() -> Path:
    try:
        return find_java(None).resolve().parent.parent
    except JudgeUnavailable as e:
        pytest.skip(f"no JDK to give as --java-home: {e}")


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, dict[str, Path]]]:
    """One good sandbox (2 data centres x 1 pod), its files copied into the repository and out of it."""
    inside = ROOT / ".sandbox" / f"command-lines-{os.getpid()}"  # git-ignored
    places = {"inside": inside, "outside": tmp_path_factory.mktemp("outside-the-repo")}
    with Sandbox("good", pods_per_dc=1, datacenters=("us2", "em3")) as sb:
        for folder in places.values():
            folder.mkdir(parents=True, exist_ok=True)
            for name in COPIED:
                src = sb.workdir / name
                (shutil.copytree if src.is_dir() else shutil.copy2)(src, folder / name)
            (folder / "jdk").symlink_to(java_home())
        try:
            yield sb, places
        finally:
            shutil.rmtree(inside, ignore_errors=True)


def run(cmd: list[str], cwd: Path, password: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, PASSWORD_ENV: password}
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


#: Every spelling, folder and place at least once in make test; the other eight of the twelve in the slow tier.
FAST_SPELLINGS = {("--opt value", "repo root", "outside"), ("--opt=value", "checks/", "inside"),
                  ("--opt value", "other folder", "inside"), ("--opt=value", "other folder", "outside")}


@pytest.mark.parametrize(("spelling", "cwd", "location"), [
    pytest.param(*combo, id="-".join(combo), marks=() if combo in FAST_SPELLINGS else pytest.mark.slow)
    for combo in itertools.product(["--opt value", "--opt=value"], ["repo root", "checks/", "other folder"],
                                   ["inside", "outside"])])
def test_path_options_work_in_every_spelling_from_every_folder(
    edge: tuple[Sandbox, dict[str, Path]], tmp_path: Path, spelling: str, cwd: str, location: str
) -> None:
    sb, places = edge
    files = places[location]
    out = files / f"reports-{'eq' if '=' in spelling else 'sp'}-{cwd.split()[0].strip('/')}"
    out.mkdir()  # an existing folder is the shape pytest used to take for a test path
    options = {"--datacenters": files / "datacenters.toml", "--truststore": files / "client-truststore.jks",
               "--reports-dir": out, "--java-home": files / "jdk"}
    args = [a for k, v in options.items() for a in ((k, str(v)) if spelling == "--opt value" else (f"{k}={v}",))]
    folder = {"repo root": ROOT, "checks/": CHECKS, "other folder": tmp_path}[cwd]
    paths = [str(CHECKS)] if cwd == "other folder" else []  # as the issue writes it; without it works too
    done = run([str(PYTEST), *paths, *args], folder, sb.password)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "ready for cutover: all 10 gate tests passed" in output, output
    assert re.search(r"^collected 10 items", output, re.M), "only the gates were collected, not tests/"
    assert {p.suffix for p in report_files(out)} == {".html", ".json", ".xml"}, "the evidence went to --reports-dir"
    assert not (files / ".pytest_cache").exists(), "nothing written next to the user's files"


def test_gates_run_from_any_folder_without_naming_checks(edge: tuple[Sandbox, dict[str, Path]],
                                                         tmp_path: Path) -> None:
    """`pytest --datacenters X` in a folder that has nothing to do with the repository runs the gates."""
    sb, places = edge
    (tmp_path / "test_unrelated.py").write_text("def test_not_ours():\n    raise AssertionError\n")
    done = run([str(PYTEST), "--datacenters", str(places["outside"] / "datacenters.toml"), "--no-reports"],
               tmp_path, sb.password)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all 10 gate tests passed" in done.stdout
    assert "test_not_ours" not in done.stdout


def test_the_sandbox_printed_lines_pass_verbatim(tmp_path: Path) -> None:
    """Copy the lines `python -m cutover.sandbox` prints, run them in a shell as they are: every gate passes."""
    shell = shutil.which("bash") or shutil.which("sh")
    if shell is None:
        pytest.skip("no POSIX shell to paste the printed lines into")
    edge = subprocess.Popen([sys.executable, "-m", "cutover.sandbox", "--pods", "1"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    try:
        assert edge.stdout is not None
        printed = []
        for line in edge.stdout:  # bounded: the sandbox prints a few lines, then waits for Ctrl-C
            printed.append(line.rstrip("\n"))
            if line.startswith("Ctrl-C stops it") or len(printed) > 50:
                break
        at = next(i for i, line in enumerate(printed) if line.startswith("Point pytest at it"))
        commands = [line.strip() for line in printed[at + 1:] if line.startswith("  ")]
        assert commands[0].startswith(f"export {PASSWORD_ENV}=") and commands[1].startswith("pytest --datacenters ")
        env = {k: v for k, v in os.environ.items() if k not in (PASSWORD_ENV, "PYTEST_ADDOPTS")}
        env["PATH"] = f"{PYTEST.parent}{os.pathsep}{env.get('PATH', '')}"  # the venv activated, as a person has it
        done = subprocess.run([shell, "-c", "\n".join(["set -e", *commands])], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "ready for cutover: all 70 gate tests passed" in done.stdout
    finally:
        edge.send_signal(signal.SIGINT)
        try:
            edge.wait(timeout=30)
        except subprocess.TimeoutExpired:
            edge.kill()
            edge.wait()
    assert edge.returncode == 0


@pytest.mark.slow  # an install into a fresh venv: the slow tier, which .ci/run runs
def test_the_plain_pip_path_runs_the_demo_without_make(tmp_path: Path) -> None:
    """README's path for a desktop with no make: a venv, `pip install -e`, `pytest --sandbox`, from another folder.

    Offline, as every test here: pip builds the project with a setuptools wheel that make's venv target
    kept on disk, and the suite's dependencies come from this environment through a .pth file.
    """
    bindir, project = install_copy(tmp_path, editable=True, without=("Makefile",))
    assert not (project / "Makefile").exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(bindir / "python"), "-c", "import cutover.plugin as p; print(p.__file__)"],
                           cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert Path(where.stdout.strip()).is_relative_to(project), "the plugin pip installed is the copy's"
    # `python -m pytest`: with the dependencies borrowed, pip wrote no `pytest` script into this venv.
    done = run([str(bindir / "python"), "-m", "pytest", "--sandbox", "--dc", "us2", "--sandbox-pods", "1",
                f"--reports-dir={tmp_path / 'out'}"], elsewhere, "unused")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ready for cutover: all 5 gate tests passed" in done.stdout
    assert {p.suffix for p in report_files(tmp_path / "out")} == {".html", ".json", ".xml"}
