"""Every fix runs as printed: from a red report to a fixed store by hand, with keytool and nothing else.

For each fault whose fix is in the store, on a copy of the store: the report's fix plan as a browser shows it
(innerText from headless Chromium, what a person copies), its opening line (the password, read without echo)
then its store steps pasted as one block into bash, with no terminal and nothing more on stdin, exits 0 with
no prompt; then (on a fresh copy) each line of the HTML rows' fix blocks, the password in its variable. After
each, a second run passes every gate: one round.
"""

from __future__ import annotations

import hashlib
import json
import os
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
    "intermediate-other-alias": ["-importcert"],
    "pinned-leaf": ["-delete"],
    "pinned-production-leaf": ["-delete"],
    LACKS_CAS: ["-importcert"] * 6,  # root and intermediate for each of us2, em3, ca2: the same two certificates
    "shared-store": ["-importcert"],  # the root under us2's alias too; em3's and ap1's stay theirs
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


def bash(text: str, folder: Path, stdin: str | None = None, password: str | None = None) -> str:
    """`text` run by bash in `folder` as pasted, in a session of its own (no terminal to ask on): with `stdin`
    and nothing else to read, or with the password in its variable; a prompt meets end-of-file and fails."""
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    if password is not None:
        env[PASSWORD_ENV] = password
    done = subprocess.run(["bash", "-c", text], input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                          capture_output=True, text=True, cwd=folder, env=env, timeout=300, start_new_session=True)
    said = done.stdout + done.stderr
    assert done.returncode == 0, f"{text}\n{said}"
    assert "not added" not in said and "Do you still want" not in said and "Trust this" not in said, said
    assert "password" not in said.lower(), f"keytool asked for the password: {said}"
    return said


def paste(lines: list[str], folder: Path, password: str) -> None:
    """Each line verbatim in bash, in `folder`, the password in the variable the commands name; none may ask."""
    for line in lines:
        bash(line, folder, password=password)


def paste_plan(browser: Any, report: Path, folder: Path, password: str) -> str:
    """The plan as the page shows it: its opening line, the password typed on stdin as `read -rs` reads it, then
    its store steps as one block, in one bash with nothing else on stdin. Returns what the block printed."""
    [setup] = shown_blocks(browser, report, "#fix-plan pre.cutover-setup")
    [block] = shown_blocks(browser, report, "#fix-plan pre.cutover-script")
    assert setup == f"read -rs {PASSWORD_ENV} && export {PASSWORD_ENV}"
    return bash(f"{setup}\n{block}", folder, stdin=f"{password}\n")


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


#: make test runs one case of each kind of step: stale-intermediate (a delete, then an import), pinned-leaf (a delete
#: alone), shared-store (one plan over a store several data centres read); the others (more imports, and
#: store-lacks-cas, six imports of two certificates) in the slow tier, which .ci/run runs too.
FAST_CASES = ("stale-intermediate", "pinned-leaf", "shared-store")


@pytest.mark.parametrize("case", [c if c in FAST_CASES else pytest.param(c, marks=pytest.mark.slow) for c in CASES])
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
        [block] = shown_blocks(browser, report, "#fix-plan pre.cutover-script")
        assert [line for line in block.split("\n") if line.startswith("keytool ")] == commands
        rows = [line for block in shown_blocks(browser, report, "pre.cutover-fix") for line in block.split("\n")]
        assert set(rows) == set(commands)
        # The page attached to the SR: the same commands, naming the same files.
        sr_rows = [line for block in shown_blocks(browser, per_sr, "pre.cutover-fix") for line in block.split("\n")]
        assert set(sr_rows) == set(commands)
        assert shown_blocks(browser, per_sr, "#fix-plan pre.cutover-script") == [block]

        said = paste_plan(browser, report, here, sb.password)
        assert said.count("\n1. ") + said.startswith("1. ") == 1, said  # each step's words echoed as it runs
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
        assert "#" not in c and password not in c and c.endswith(f" -storepass:env {PASSWORD_ENV} -noprompt"), c
        assert f"-keystore {STORE} " in c
        if "-importcert" in c:
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
