"""What a gate run knows, by when it knows it: at configure time, once gathered, and at its end.

Each stage is one frozen record, made once: a hook reads the stage it runs after and cannot see a
half-filled one. The run object (cutover.plugin.run.GateRun) holds them, plus the records that
arrive test by test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # names for the annotations only: importing this module must not import history's code
    from cutover.config import Config
    from cutover.evidence import Evidence
    from cutover.gates import fixplan
    from cutover.gates.lifecycle import Phase
    from cutover.outputs.history import Lookup, Since
    from cutover.outputs.records import Record
    from cutover.outputs.timeline import Series
    from cutover.stores.bundle import Bundle
    from cutover.stores.truststore import StoreContents


@dataclass(frozen=True)
class Setup:
    """What a gate run knows once configured, before anything is observed.

    Attributes:
        config: the datacenters file as loaded, with the command line's selection applied.
        stores: each client's store as Python read it, by client name (a wrong path or password ended the run).
        bundles: each data centre's bundle, by code.
        started: when the run was configured (UTC): the reports' names and history's "before" use it.
        env: the report's Environment rows known before gathering.
        json_path: where the JSON evidence goes; None when the run writes none, and on an xdist worker.
        cert_files: SHA-256 -> the path a fix's keytool -file names, for each bundle CA (cutover.outputs.certfiles);
            empty when the run writes no files.
    """

    config: Config
    stores: Mapping[str, StoreContents]
    bundles: Mapping[str, Bundle]
    started: dt.datetime
    env: Mapping[str, str]
    json_path: Path | None = None
    cert_files: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Gathered:
    """What the run observed, and what was decided on it before any gate ran.

    Attributes:
        evidence: every observation of the run.
        phases: each pod's lifecycle phase, per target id, decided on the evidence and the previous run.
        history: the lookup of the previous run; None when history is off (and on an xdist worker).
        env: the Environment rows known only once gathered: which JDK judged each client, ``--at``.
    """

    evidence: Evidence
    phases: Mapping[str, Phase]
    history: Lookup | None = None
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Stopped:
    """Where a run stopped by Ctrl-C or SIGTERM stopped (cutover.plugin.interrupt): its outputs say it.

    Attributes:
        step: the step it was stopped at, in words (``running the gates: 40 of 112``).
        not_run: the node ids of the collected gate tests that did not run.
        collected: how many gate tests were collected; 0 when stopped before they were.
    """

    step: str
    not_run: tuple[str, ...] = ()
    collected: int = 0


@dataclass(frozen=True)
class Closing:
    """What the run's end says, decided once from the complete records: the JSON, the HTML summary and the
    terminal all read it (they run one after another in sessionfinish and terminal_summary).

    Attributes:
        records: every gate test's record, in the order they were reported.
        plan: the fix plan over them.
        since: what changed since the last run; None when history is off.
        store_diff: what ``python -m cutover prepare`` changed in the copy of the store judged (--store-diff).
        stopped: where the run was stopped; None for a run that went to its end.
        series: the renewal timeline (the runs history read, and this one): the report's picture and the
            JSON's ``timeline`` alike; None when nothing was gathered.
        inputs: what the run judged, by SHA-256 and entry (`cutover.outputs.evidence_json.inputs_json`):
            compared with the last run's, and written in the JSON; None when nothing was gathered.
    """

    records: tuple[Record, ...]
    plan: tuple[fixplan.Step, ...]
    since: Since | None
    store_diff: Mapping[str, object] | None
    stopped: Stopped | None = None
    series: Series | None = None
    inputs: dict[str, object] | None = None
