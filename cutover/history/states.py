"""A pod as one run saw it: the ``lifecycle`` section of a run's evidence, its writer and its reader in one place.

Each run's JSON evidence holds a ``lifecycle`` section, one entry per pod: its phase and what the phase
rests on (addresses, the leaf at each, each client's trust verdicts). The next run reads it back to decide
each pod's phase (`PodState.previous`) and to say what changed (`cutover.closing.news`). This run's own
states are made from its evidence directly (`states`), never by writing them out and parsing them back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from cutover.base.instants import from_json as instant_from_json
from cutover.evidence import Evidence, PodEvidence, PodTrust
from cutover.history.phases import Phase, Previous
from cutover.net.tls import ChainFetch

Json = dict[str, object]


class HistoryError(Exception):
    """An earlier evidence file that cannot be used; the message says why, in a few words."""


@dataclass(frozen=True)
class Leaf:
    """A served leaf as history keeps it: enough to say what changed."""

    sha256: str
    name: str
    not_after: str

    @property
    def short(self) -> str:
        return f"{self.name} (expires {self.not_after[:10]}, SHA-256 {self.sha256[:16]}...)"

    @classmethod
    def of(cls, fetch: ChainFetch) -> Leaf | None:
        """The leaf a fetch got; None where none was fetched."""
        c = fetch.leaf
        return None if c is None else cls(c.sha256, c.name, c.not_after.isoformat())

    def to_json(self) -> dict[str, str]:
        return {"sha256": self.sha256, "name": self.name, "not_after": self.not_after}


@dataclass(frozen=True)
class PodState:
    """One pod as one run saw it.

    Attributes:
        phase: the lifecycle phase.
        new_leaves: SHA-256 of what that run knew to be the new certificate.
        cut_over_since: when production was first seen serving the new certificate.
        staging_ips, production_ips: the addresses the names resolved to.
        leaves: per network (``staging``, ``production``), the leaf at each address; None where none was fetched.
        trust: per client, per network, the trust verdict at each address (True: trusted).
        why: the sentence the phase was decided with (written for a reader of the file; history does not use it).
    """

    phase: str
    new_leaves: frozenset[str] = frozenset()
    cut_over_since: dt.datetime | None = None
    staging_ips: tuple[str, ...] = ()
    production_ips: tuple[str, ...] = ()
    leaves: Mapping[str, Mapping[str, Leaf | None]] = field(default_factory=dict)
    trust: Mapping[str, Mapping[str, Mapping[str, bool]]] = field(default_factory=dict)
    why: str = ""

    def previous(self, when: dt.datetime) -> Previous:
        """This state as the lifecycle decision reads an earlier run."""
        production = frozenset(lf.sha256 for lf in self.leaves.get("production", {}).values() if lf is not None)
        return Previous(when, self.phase, self.new_leaves, production, self.cut_over_since)

    @classmethod
    def of(cls, pod: PodEvidence, phase: Phase, trust: Mapping[str, PodTrust]) -> PodState:
        """This run's state of a pod. `trust`: each client's verdicts on it (the phase is the network's, the same
        for every client)."""
        return cls(
            phase=phase.name, new_leaves=frozenset(phase.new_leaves), cut_over_since=phase.since,
            staging_ips=tuple(pod.staging.staging_ips), production_ips=tuple(pod.staging.production_ips),
            leaves={"staging": {f.ip: Leaf.of(f) for f in pod.staging_chains},
                    "production": {f.ip: Leaf.of(f) for f in pod.production_chains}},
            trust={client: {"staging": {v.ip: v.ok for v in tv.verdicts},
                            "production": {v.ip: v.ok for v in tv.production}}
                   for client, tv in trust.items()},
            why=phase.why,
        )

    def to_json(self) -> Json:
        """The pod's entry of the ``lifecycle`` section (`from_json` reads it back)."""
        return {
            "phase": self.phase,
            "why": self.why,
            "new_leaves": sorted(self.new_leaves),
            "cut_over_since": self.cut_over_since.isoformat() if self.cut_over_since is not None else None,
            "staging_ips": list(self.staging_ips),
            "production_ips": list(self.production_ips),
            "leaves": {net: {ip: None if lf is None else lf.to_json() for ip, lf in by_ip.items()}
                       for net, by_ip in self.leaves.items()},
            "trust": {client: {net: dict(by_ip) for net, by_ip in nets.items()} for client, nets in self.trust.items()},
        }

    @classmethod
    def phase_of(cls, doc: object) -> PodState:
        """Only the phase of what `to_json` wrote (an older run on the timeline)."""
        if not isinstance(doc, dict) or not isinstance(doc.get("phase"), str):
            raise HistoryError("a lifecycle entry without a phase")
        return cls(doc["phase"])

    @classmethod
    def from_json(cls, doc: object) -> PodState:
        """Read what `to_json` wrote; raise HistoryError on anything else."""
        if not isinstance(doc, dict) or not isinstance(doc.get("phase"), str):
            raise HistoryError("a lifecycle entry without a phase")
        try:
            leaves = {net: {str(ip): None if lf is None else Leaf(str(lf["sha256"]), str(lf.get("name", "")),
                                                                   str(lf.get("not_after", "")))
                            for ip, lf in dict(by_ip).items()}
                      for net, by_ip in dict(doc.get("leaves") or {}).items()}
            trust = {str(client): {net: {str(ip): bool(ok) for ip, ok in dict(by_ip).items()}
                                   for net, by_ip in dict(nets).items()}
                     for client, nets in dict(doc.get("trust") or {}).items()}
            since = doc.get("cut_over_since")
            return cls(
                phase=doc["phase"],
                new_leaves=frozenset(str(x) for x in doc.get("new_leaves") or ()),
                cut_over_since=instant_from_json(since) if since else None,
                staging_ips=tuple(str(x) for x in doc.get("staging_ips") or ()),
                production_ips=tuple(str(x) for x in doc.get("production_ips") or ()),
                leaves=leaves, trust=trust, why=str(doc.get("why") or ""),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise HistoryError(f"a malformed lifecycle entry ({type(e).__name__}: {e})") from None


def states(evidence: Evidence, phases: Mapping[str, Phase]) -> dict[str, PodState]:
    """Every pod's state in this run, per target id: what the ``lifecycle`` section holds and the comparison with
    the last run reads."""
    return {tid: PodState.of(pod, phases[tid], {name: c.verdicts[tid] for name, c in evidence.clients.items()
                                                if tid in c.verdicts})
            for tid, pod in evidence.pods.items() if tid in phases}


def lifecycle_json(pods: Mapping[str, PodState]) -> dict[str, Json]:
    """The ``lifecycle`` section of `pods` (this run's `states`, made once by the run's closing)."""
    return {tid: state.to_json() for tid, state in pods.items()}
