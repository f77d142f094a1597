"""What a gate run knows, by when it knows it: at configure time, and once gathered.

Each stage is one frozen record, made once: a hook reads the stage it runs after and cannot see a
half-filled one. The run object (cutover.plugin.run.GateRun) holds them, the records that arrive test
by test, and at the end the closing record (`cutover.closing.record.Closing`).
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
    from cutover.history.phases import Phase
    from cutover.history.runs import Lookup
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
