"""The closing record decides once what every output renders: the run's verdict, the plan, each SR's part."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cutover.closing.record import Stopped, close, sr_parts
from cutover.config import load
from cutover.gates.fixplan import PROVIDER, Action
from cutover.gates.outcomes import Record

TOML = """
[truststore]
path = "store.p12"
[datacenters.us2]
pods = [{ name = "acme", sr = "3-1" }, { name = "beta", sr = "3-2" }, "gamma"]
[datacenters.em3]
pods = ["wxyz"]
sr = "3-9"
"""


def _config(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "store.p12").write_bytes(b"")
    path = tmp_path / "datacenters.toml"
    path.write_text(TOML)
    return load(path)


def _records() -> list[Record]:
    ask = Action(PROVIDER, "serve the right chain")
    return [Record("t[us2/acme]", "chain_trusted", "us2/acme", outcome="failed", sr="3-1", actions=[ask]),
            Record("t[us2/beta]", "chain_trusted", "us2/beta", sr="3-2"),
            Record("t[us2/gamma]", "chain_trusted", "us2/gamma"),
            Record("t[us2]", "no_lb_cert", "us2"),
            Record("t[em3/wxyz]", "chain_trusted", "em3/wxyz", sr="3-9")]


def test_each_sr_gets_its_pods_and_its_data_centres_store_gates(tmp_path: Path) -> None:
    parts = sr_parts(_config(tmp_path), _records())
    assert {sr: [r.target for r in rs] for sr, rs in parts.items()} == {
        "3-1": ["us2/acme", "us2"], "3-2": ["us2/beta", "us2"], "3-9": ["em3/wxyz"]}


def test_the_verdict_and_plan_are_decided_once_for_the_run_and_for_each_part(tmp_path: Path) -> None:
    started = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    closing = close(_config(tmp_path), _records(), None, {}, None, started)
    assert closing.verdict.sentence == "NOT ready for cutover: 1 of 5 gate test(s) failed" and not closing.verdict.ready
    assert [s.fixes for s in closing.plan] == [(("chain_trusted", "us2/acme"),)] and closing.plan[0].sr == "3-1"
    assert not closing.parts["3-1"].verdict.ready and closing.parts["3-1"].plan == closing.plan
    assert closing.parts["3-2"].verdict.sentence == "ready for cutover: all 2 gate tests passed"
    assert closing.parts["3-2"].plan == ()
    assert closing.since is None and closing.series is None and closing.inputs is None  # nothing was gathered
    stopped = close(_config(tmp_path), _records()[1:], None, {}, None, started, Stopped("running the gates: 4 of 9"))
    assert stopped.verdict.sentence.startswith("not proven: interrupted at running the gates: 4 of 9")
    assert not any(p.verdict.ready for p in stopped.parts.values()), "a stopped run's parts are not ready either"
