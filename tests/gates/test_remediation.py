"""Every fix runs as printed: from a red report to a fixed store by hand, with keytool and nothing else.

For each fault whose fix is in the store, on a copy of the store: each keytool command of the terminal's plan,
then (on a fresh copy) each line of the HTML rows' fix blocks as a browser shows them (innerText from headless
Chromium, what a person copies), run verbatim in bash from the folder the run was made in with the password
typed on stdin, exits 0; after them a second run passes every gate.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cutover.sandbox import INTERMEDIATE_ALIAS, PASSWORD_ENV, ROOT_ALIAS, Sandbox
from tests.conftest import run_gates
from tests.outputs.test_report import chromium

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast

SR = "3-4242"
STORE = "client-truststore.jks"  # the run's copy, in the folder the run is made in
#: The case of a store that lacks the provider's CAs in three data centres under per-data-centre aliases.
LACKS_CAS = "store-lacks-cas"

#: case -> the plan's keytool verbs, in order.
CASES = {
    "missing-intermediate": ["-importcert"],
    "missing-intermediate-alias": ["-importcert"],
    "stale-intermediate": ["-delete", "-importcert"],
    "intermediate-other-alias": ["-changealias"],
    "pinned-leaf": ["-delete"],
    "pinned-production-leaf": ["-delete"],
    LACKS_CAS: ["-importcert"] * 6,  # root and intermediate for each of us2, em3, ca2: the same two certificates
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module's pages."""
    if chromium() is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            yield b
        finally:
            b.close()


def shown_blocks(browser: Any, page_file: Path, selector: str) -> list[str]:
    """The innerText of every `selector` on the rendered page: what a person selects and copies."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")
        return [str(t) for t in page.locator(selector).all_inner_texts()]
    finally:
        page.close()


def terminal_commands(output: str) -> list[str]:
    """The keytool lines of the terminal's fix plan, as printed."""
    section = output.split("fix plan (", 1)[1].split("\nverdict:", 1)[0]
    return [line.strip() for line in section.splitlines() if line.strip().startswith("keytool ")]


def paste(lines: list[str], folder: Path, password: str) -> None:
    """Each line verbatim in bash, in `folder`, the password typed on stdin; every one must change the store."""
    for line in lines:
        done = subprocess.run(["bash", "-c", line], input=f"{password}\n", capture_output=True, text=True,
                              cwd=folder, timeout=120)
        said = done.stdout + done.stderr
        assert done.returncode == 0, f"{line}\n{said}"
        assert "not added" not in said and "Do you still want" not in said and "Trust this" not in said, said


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def edge(case: str, workdir: Path) -> tuple[Sandbox, Path, Path]:
    """The sandbox of the case, its datacenters file and the pristine store to copy."""
    if case != LACKS_CAS:
        sb = Sandbox(case, workdir=workdir, pods_per_dc=1, datacenters=("us2", "em3")).start()
        return sb, sb.config_path, sb.truststore_path
    sb = Sandbox("good", workdir=workdir, pods_per_dc=1, datacenters=("us2", "em3", "ca2")).start()
    toml = sb.config_path.read_text()
    for dc in ("us2", "em3", "ca2"):  # each data centre's CAs under aliases of its own
        toml = toml.replace(f'bundle = "certs/{dc}.zip"', f'bundle = "certs/{dc}.zip"\nroot_alias = "oracle-{dc}-root"'
                            f'\nintermediate_alias = "oracle-{dc}-intermediate"')
    per_dc = sb.workdir / "per-dc.toml"
    per_dc.write_text(toml)
    lacking = sb.workdir / "lacking.jks"
    shutil.copyfile(sb.truststore_path, lacking)
    for alias in (ROOT_ALIAS, INTERMEDIATE_ALIAS):
        subprocess.run(["keytool", "-delete", "-alias", alias, "-keystore", str(lacking), "-storetype", "PKCS12",
                        "-storepass:env", PASSWORD_ENV], env=sb.env(), check=True, capture_output=True, timeout=60)
    return sb, per_dc, lacking


@pytest.mark.parametrize("case", list(CASES))
def test_every_printed_fix_runs_verbatim_and_fixes_the_store(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path, browser: Any, case: str) -> None:
    sb, toml, pristine = edge(case, tmp_path / "edge")
    try:
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        here = pytester.path  # the folder the run is made in, and where the commands are pasted
        shutil.copyfile(pristine, here / STORE)
        before = run_gates(pytester, f"--datacenters={toml}", f"--truststore={STORE}", "--reports-dir=reports",
                           f"--sr={SR}", "--report-per-sr")
        assert before.failed, before.output
        [report] = [p for p in (here / "reports").glob("*.html") if "-SR-" not in p.name]
        per_sr = report.with_name(f"{report.stem}-SR-{SR}.html")
        plan = json.loads(report.with_suffix(".json").read_text())["fix_plan"]
        commands = [s["command"] for s in plan if s["command"]]
        assert [c.split()[1] for c in commands] == CASES[case]
        check_commands(commands, report, sb.password)
        # The terminal's plan, the HTML's plan and the JSON say the same commands; no row holds another.
        assert terminal_commands(before.output) == commands
        assert shown_blocks(browser, report, "#fix-plan pre.cutover-cmd") == commands
        rows = [line for block in shown_blocks(browser, report, "pre.cutover-fix") for line in block.split("\n")]
        assert set(rows) == set(commands)
        # The page attached to the SR: the same commands, naming the same files.
        sr_rows = [line for block in shown_blocks(browser, per_sr, "pre.cutover-fix") for line in block.split("\n")]
        assert set(sr_rows) == set(commands)
        assert shown_blocks(browser, per_sr, "#fix-plan pre.cutover-cmd") == commands

        paste(terminal_commands(before.output), here, sb.password)
        after = run_gates(pytester, f"--datacenters={toml}", f"--truststore={STORE}")
        assert after.result.ret == 0 and after.failed == set(), after.output

        shutil.copyfile(pristine, here / STORE)  # afresh, for the lines copied from the page
        paste(list(dict.fromkeys(rows)), here, sb.password)  # a row's fix once, though rows share it
        again = run_gates(pytester, f"--datacenters={toml}", f"--truststore={STORE}")
        assert again.result.ret == 0 and again.failed == set(), again.output
    finally:
        sb.stop()


def check_commands(commands: list[str], report: Path, password: str) -> None:
    """No comment to swallow the next line, no password, -noprompt on imports, and each -file a file beside the
    report, written once per certificate (the per-DC case imports two certificates under six aliases)."""
    certs = report.with_name(f"{report.stem}-certs")
    files = sorted(certs.iterdir()) if certs.exists() else []
    for c in commands:
        assert "#" not in c and password not in c and "storepass" not in c, c
        assert f"-keystore {STORE} " in c
        if "-importcert" in c:
            assert c.endswith(" -noprompt")
            file = re.search(r" -file (\S+) ", c)
            assert file is not None and file.group(1).startswith(f"reports/{certs.name}/"), c
            assert (report.parent.parent / file.group(1)).is_file()
    imported = {re.search(r" -file (\S+) ", c).group(1) for c in commands if "-file" in c}  # type: ignore[union-attr]
    assert [f"reports/{certs.name}/{f.name}" for f in files] == sorted(imported)
    assert len({sha(f) for f in files}) == len(files), "one file per certificate"


def test_a_sandbox_runs_fault_commands_name_files_that_outlive_it(pytester: pytest.Pytester,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """--sandbox makes its edge in a temporary folder removed at exit: its store and certificates are beside the
    report, so the printed commands still run after the run (with CUTOVER_SANDBOX_PASSWORD set, a person knows
    what to type)."""
    monkeypatch.setenv(PASSWORD_ENV, "demo-password-1")
    run = run_gates(pytester, "--sandbox=missing-intermediate-alias", "--dc=us2", "--reports-dir=reports")
    [command] = terminal_commands(run.output)
    assert "cutover-sandbox-" not in command, command
    assert re.search(rf"-keystore {re.escape(str(pytester.path))}/reports/cutover-\S+-SIMULATED-truststore\.jks ",
                     command), command
    assert " -file reports/cutover-" in command, command
    # The run's process has ended and its sandbox's folder with it: the command still runs.
    paste([command], pytester.path, "demo-password-1")
