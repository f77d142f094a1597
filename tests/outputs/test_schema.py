"""The JSON evidence of real sandbox runs validates against cutover-evidence.schema.json, and the schema can fail.

A dashboard or a change ticket's robot reads these files with nothing but the schema: the full file, each
per-SR file and an interrupted run's file must all hold to it. (tests/sandbox/test_gates_sandbox.py validates the
full file of every fault scenario too.)
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from cutover.gates.registry import NAMES
from cutover.history.layout import SCHEMA
from cutover.history.phases import PHASES
from cutover.judge.reasons import VerdictFailure
from cutover.net.dns import DnsFailure
from cutover.net.tls import FetchFailure
from cutover.outputs.evidence_json import json_schema
from cutover.sandbox import PASSWORD_ENV, Sandbox
from tests.conftest import CHECKS, run_gates
from tests.outputs.validate import assert_valid, errors

pytestmark = pytest.mark.e2e  # runs the sandbox: not in make test-fast

SR = "3-1234567890"
#: Two data centres are enough to exercise every part of the document, and keep each run a few seconds.
FEW = ("--dc", "us2", "--dc", "em3")


def documents(folder: Path) -> tuple[dict, list[dict]]:
    """The full JSON evidence in `folder` and every per-SR file beside it."""
    files = sorted(folder.glob("*.json"))
    [full] = [json.loads(p.read_text()) for p in files if "-SR-" not in p.name]
    return full, [json.loads(p.read_text()) for p in files if "-SR-" in p.name]


def literal_values(kind: object) -> list[str]:
    """The strings of a Literal, or of a union of Literals, in order."""
    out: list[str] = []
    for arg in typing.get_args(kind):
        out += [arg] if isinstance(arg, str) else literal_values(arg)
    return out


def test_the_schema_is_draft_2020_12_and_names_what_the_code_names() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["schema"]["const"] == SCHEMA
    # The enums are the code's own tables: a gate or phase added there fails here until the schema has it.
    assert schema["$defs"]["gate"]["enum"] == list(NAMES)
    assert schema["$defs"]["phase"]["enum"] == list(PHASES)
    assert schema["$defs"]["outcome"]["enum"] == ["passed", "failed", "skipped"]
    # The failure kinds too: a kind added to a Literal fails here until the schema names it.
    for name, kinds in (("dns_failure", DnsFailure), ("fetch_failure", FetchFailure),
                        ("verdict_failure", VerdictFailure)):
        assert schema["$defs"][name]["enum"] == [*literal_values(kinds), None], name


@pytest.mark.parametrize("scenario", ["good", "no-staging-record", "pinned-leaf", "after-cutover",
                                      "proxy-forbids-staging"])
def test_full_and_per_sr_evidence_of_sandbox_runs_validate(pytester: pytest.Pytester, tmp_path: Path,
                                                           scenario: str) -> None:
    folder = tmp_path / "reports"
    run = run_gates(pytester, "--sandbox", scenario, *FEW, f"--reports-dir={folder}", f"--sr={SR}",
                    "--report-per-sr")
    assert run.outcomes, run.output
    full, parts = documents(folder)
    assert_valid(full, f"{scenario}: the full file")
    assert [p["service_request"] for p in parts] == [SR]
    assert_valid(parts[0], f"{scenario}: the per-SR file")
    assert full["ready"] is (scenario in ("good", "after-cutover"))


INTERRUPT = '''
import pytest

AT = {at!r}

def pytest_collection_modifyitems(items):
    if AT == "collection":
        raise KeyboardInterrupt("interrupted while collecting")

def pytest_runtest_call(item):
    if AT == "tests" and item.nodeid.endswith("[us2/acme-test]"):
        raise KeyboardInterrupt("interrupted between gates")
'''


@pytest.mark.parametrize("at", ["collection", "tests"])
def test_interrupted_evidence_validates(pytester: pytest.Pytester, tmp_path: Path, at: str) -> None:
    """Interrupted before any evidence was gathered (no judge, no pods) and half-way through the gates."""
    pytester.makepyfile(cutover_interrupt=INTERRUPT.format(at=at))
    folder = tmp_path / "reports"
    run = run_gates(pytester, "-p", "cutover_interrupt", "--sandbox", "good", *FEW, f"--reports-dir={folder}",
                    exit_codes=(pytest.ExitCode.INTERRUPTED,))
    assert run.result.ret == pytest.ExitCode.INTERRUPTED, run.output
    full, _ = documents(folder)
    assert full["interrupted"] is True
    assert (full["judge"] is None) == (at == "collection") and len(full["records"]) < 2 * 3 * 2 + 2 * 2
    assert_valid(full, f"interrupted at {at}")


@pytest.fixture(scope="module")
def good_document(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A real document of a small run, made once, to break in the tests below."""
    folder = tmp_path_factory.mktemp("good")
    with Sandbox("good", workdir=folder / "edge", pods_per_dc=1, datacenters=("us2",)) as sb:
        subprocess.run([sys.executable, "-m", "pytest", str(CHECKS), "-q", "-p", "no:cacheprovider",
                        f"--datacenters={sb.config_path}", f"--reports-dir={folder / 'reports'}", "--no-history"],
                       env={**os.environ, PASSWORD_ENV: sb.password}, capture_output=True, timeout=300, check=True)
    full, _ = documents(folder / "reports")
    assert_valid(full)
    return full


@pytest.mark.parametrize("where, key", [((), "records"), ((), "schema"), (("records", 0), "outcome"),
                                        (("pods", "us2/acme"), "hostname"),
                                        (("lifecycle", "us2/acme"), "phase")])
def test_a_document_missing_a_required_key_fails(good_document: dict, where: tuple, key: str) -> None:
    doc = copy.deepcopy(good_document)
    part = doc
    for step in where:
        part = part[step]
    del part[key]
    assert any(f"'{key}' is a required property" in e for e in errors(doc)), errors(doc)


def test_a_wrong_value_or_an_unknown_key_fails(good_document: dict) -> None:
    doc = copy.deepcopy(good_document)
    doc["records"][0]["outcome"] = "green"
    doc["records"][1]["gate"] = "chain_trusted_v2"
    doc["lifecycle"]["us2/acme"]["phase"] = "staging"
    doc["schema"] = "cutover-evidence/1"
    doc["extra"] = 1
    found = errors(doc)
    assert len(found) == 5, found
    assert any("Additional properties are not allowed ('extra'" in e for e in found), found
