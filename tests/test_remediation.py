"""The keytool commands of the fix plan really fix the store: run each once, run the gates again, green."""

from __future__ import annotations

import json
import shlex
import subprocess
import zipfile
from pathlib import Path

import pytest

from cutover.sandbox import PASSWORD_ENV, Sandbox
from tests.conftest import run_gates

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast


def fix_commands(message: str) -> list[str]:
    lines = message.split("To fix it:", 1)[1].splitlines()
    return [line.strip() for line in lines if line.strip().startswith("keytool ")]


def run_fix(command: str, password: str, workdir: Path) -> None:
    """Run one printed command as a person would: extract the file it names, type the password when asked."""
    cmd, _, comment = command.partition("  # ")
    if comment.startswith("extract "):
        member, archive = comment.removeprefix("extract ").removesuffix(" first").split(" from ")
        with zipfile.ZipFile(archive) as z:
            (workdir / member).write_bytes(z.read(member))
    done = subprocess.run(shlex.split(cmd), input=f"{password}\nyes\n", capture_output=True, text=True,
                          cwd=workdir, timeout=120)
    assert done.returncode == 0, f"{cmd}\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize(("scenario", "gate", "verbs"), [
    ("missing-intermediate-alias", "aliases_present", ["-importcert"]),
    ("stale-intermediate", "aliases_present", ["-delete", "-importcert"]),
    ("intermediate-other-alias", "aliases_present", ["-changealias"]),
    ("pinned-leaf", "no_lb_cert", ["-delete"]),
    ("pinned-production-leaf", "no_lb_cert", ["-delete"]),
])
def test_printed_keytool_commands_fix_the_store(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path, scenario: str, gate: str, verbs: list[str]) -> None:
    with Sandbox(scenario, workdir=tmp_path / "edge", pods_per_dc=1, datacenters=("us2", "em3")) as sb:
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        before = run_gates(pytester, "--datacenters", str(sb.config_path), f"--reports-dir={tmp_path / 'reports'}")
        failed = {k for k in before.failed if k[0] == gate}
        assert failed, before.output
        # The store is shared by both data centres: each failure prints the same fix, the plan holds it once.
        plan = json.loads(next((tmp_path / "reports").glob("*.json")).read_text())["fix_plan"]
        commands = [step["command"] for step in plan]
        assert [c.split()[1] for c in commands] == verbs
        assert {(f["gate"], f["target"]) for step in plan for f in step["fixes"]} == failed
        printed = {c.partition("  # ")[0] for key in failed for c in fix_commands(before.messages[key])}
        assert printed == {c.partition("  # ")[0] for c in commands}, "the plan runs what each failure prints"
        for c in commands:
            assert f"-keystore {sb.truststore_path}" in c and "-storetype PKCS12" in c
            assert sb.password not in c
            run_fix(c, sb.password, tmp_path)
        after = run_gates(pytester, "--datacenters", str(sb.config_path))
    assert after.result.ret == 0, after.output
    assert after.failed == set()
