"""prepare's verdict on hand-built evidence: a store fault left is never "a change of the store cannot fix", and
a copy that breaks production's current chain is not ready, whatever the gates say."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from cutover.cli.prepare import _verdict, production_broken

Rows = Sequence[dict[str, object]]


def doc(*, prod_ok: bool, records: Rows = (), plan: Rows = ()) -> dict[str, object]:
    verdict = {"ip": "127.0.0.9", "ok": prod_ok, "reason": "ok" if prod_ok else "PKIX path building failed"}
    return {"pods": {"us2/acme": {"trust": {"default": {"production_verdicts": [verdict]}}}},
            "records": list(records), "fix_plan": list(plan)}


def test_production_trusted_before_and_not_with_the_copy_is_broken() -> None:
    assert production_broken(doc(prod_ok=True), doc(prod_ok=False)) == [
        "us2/acme production 127.0.0.9 (default): PKIX path building failed"]
    assert production_broken(doc(prod_ok=False), doc(prod_ok=False)) == []  # broken already: not the copy's doing
    assert production_broken(doc(prod_ok=True), doc(prod_ok=True)) == []


@pytest.mark.parametrize(("records", "plan", "says", "never"), [
    ([], [], "READY: every gate passes", "NOT READY"),
    ([{"gate": "aliases_present", "target": "us2", "outcome": "failed", "message": "alias 'x' is missing"}], [],
     "the store still needs changes after the fix plan was applied", "cannot fix"),
    ([{"gate": "chain_trusted", "target": "us2/acme", "outcome": "failed", "message": "no path"}],
     [{"command": "keytool -importcert -alias x"}], "the store still needs changes", "cannot fix"),
    ([{"gate": "chain_trusted", "target": "us2/acme", "outcome": "failed", "message": "name mismatch"}],
     [{"command": None}], "which a change of the store cannot fix", "the store still needs"),
])
def test_what_is_left_is_said_as_what_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            records: list[dict[str, object]], plan: list[dict[str, object]],
                                            says: str, never: str) -> None:
    out = tmp_path / "new.jks"
    out.write_bytes(b"copy")
    rc = _verdict(1 if records else 0, doc(prod_ok=True), doc(prod_ok=True, records=records, plan=plan), out)
    said = capsys.readouterr().out
    assert says in said and never not in said, said
    assert rc == (1 if records else 0) and out.exists() == (not records)


def test_a_copy_that_breaks_production_is_not_ready_though_every_gate_passes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "new.jks"
    out.write_bytes(b"copy")
    assert _verdict(0, doc(prod_ok=True), doc(prod_ok=False), out) == 1
    said = capsys.readouterr().out
    assert "NOT READY: the copy breaks what works today" in said and "us2/acme production 127.0.0.9" in said
    assert not out.exists() and (tmp_path / "new.NOT-READY.jks").exists()
