"""Gate 2, per client and pod: the client's JVM trusts the chain served at staging (the new chain) and at
production, today and on the dates the chain must last to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from cutover.base.instants import format_instant, parse_instant
from cutover.evidence import PodEvidence, PodTrust
from cutover.gates.fixplan import PROVIDER, TRUST_PATH, Action
from cutover.gates.remedies import (
    FIX_PROXY,
    RUN_JVM,
    SERVE_ACCEPTED,
    SERVE_LASTING,
    SERVE_STAGED,
    hint,
    own_settings_action,
    staging_action,
    verdict_action,
)
from cutover.gates.verdict import GateVerdict, failed
from cutover.history.phases import CUT_OVER, ROLLING, Phase
from cutover.judge.python import CANNOT_JUDGE
from cutover.judge.wire import TrustVerdict
from cutover.net.tls import ChainFetch


def _out_of_validity(pod: PodEvidence, ip: str, when: dt.datetime) -> str:
    """Name the served certificates that are not valid at `when`: Java's message gives a date, not a name."""
    fetch = next((f for f in pod.staging_chains if f.ip == ip), None)
    if fetch is None:
        return ""
    bad = [c for c in fetch.chain if not c.not_before <= when <= c.not_after]
    return "".join(f" Not valid then: {c.name} (valid {c.not_before:%Y-%m-%d} to {c.not_after:%Y-%m-%d})."
                   for c in bad)


def _served(fetches: Iterable[ChainFetch], ip: str) -> str:
    fetch = next((f for f in fetches if f.ip == ip), None)
    if fetch is None or fetch.leaf is None:
        return ""
    return f" Served leaf: {fetch.leaf.short}, issued by {fetch.leaf.issuer_name}; {len(fetch.chain)} cert(s) sent."


def _judge(verdicts: Iterable[TrustVerdict]) -> str:
    return "the JVM" if all(v.engine == "jvm" for v in verdicts) else "cryptography (approximate)"


def _not_seen(pod: PodEvidence, prefix: str, in_phase: str) -> GateVerdict | None:
    """A failure when staging gave no address of its own: the new chain was not seen, so never a pass."""
    t, st = pod.target, pod.staging
    if not st.staging_ips:
        return failed(
            f"{prefix}not judged: {t.hostname} has no staging IP to connect to, so the new chain was not seen "
            f"(staging_resolves: {st.problem or 'no address'}){in_phase}.",
            staging_action(st),
        )
    shared = st.shared_ips
    if len(shared) == len(st.staging_ips):
        return failed(
            f"{prefix}not judged: the new chain was not seen: staging name {st.staging_name} resolves only to "
            f"{', '.join(shared)}, production IP(s) of {t.hostname}, so what answers there is production's chain, not "
            f"staging's{in_phase}. A pass here would be a verdict on the old chain. Fix the resolution of the staging "
            "name (see staging_resolves) and run again.",
            staging_action(st),
        )
    return None


def _judged_production(pod: PodEvidence, trust: PodTrust, phase: Phase | None) -> list[TrustVerdict]:
    """Production is judged where it serves the new chain (a cut-over pod, or the switched addresses of a
    rolling one): that is the chain this gate is about. Production's old chain failing is said, not failed on."""
    new_at = {f.ip for f in pod.production_chains if f.leaf is not None and phase is not None
              and f.leaf.sha256 in phase.new_leaves}
    return [v for v in trust.production if phase is None or phase.name == CUT_OVER
            or (phase.name == ROLLING and v.ip in new_at)]


def _rejections(pod: PodEvidence, staging: Sequence[TrustVerdict], production: Sequence[TrustVerdict], judged: str,
                in_phase: str) -> tuple[list[str], list[Action]]:
    """What each failed verdict says, and its action."""
    t = pod.target
    parts: list[str] = []
    actions: list[Action] = []
    for kind, verdicts, fetches, today in (("staging", staging, pod.staging_chains, ""),
                                           ("production", production, pod.production_chains,
                                            ", what clients get today")):
        for v in verdicts:
            if v.ok:
                continue
            judge = "the JVM" if v.engine == "jvm" else "cryptography (approximate)"
            if v.step == "proxy":  # no tunnel: production's chain was not seen, not judged on
                parts.append(f"not judged: {judge} could not reach {kind} {v.ip} for {t.hostname}{in_phase}: "
                             f"{v.reason}")
                actions.append(Action("network", FIX_PROXY))
                continue
            judge += f" (through proxy {v.via})" if v.via else ""
            if v.chain_sent is False:  # nothing was judged: the handshake ended before any certificate came
                parts.append(f"{judge}: the handshake with {kind} {v.ip} for {t.hostname}{judged}{today}{in_phase} "
                             f"failed before any certificate was sent ({said(v)}). "
                             f"{hint(v.failure, t.hostname, v.via, v.options)}".rstrip())
                actions.append(verdict_action(v))
                continue
            if v.failure == "no_sni":  # what Python fetched was sent with SNI: not what this client was served
                parts.append(f"{judge}: this client sends no SNI, so {kind} {v.ip} served it the edge's default "
                             f"certificate ({v.served}), not {t.hostname}'s, and it rejects that "
                             f"({said(v)}){judged}{today}{in_phase}. {hint(v.failure, t.hostname)}")
                actions.append(verdict_action(v))
                continue
            parts.append(f"{judge} rejects the chain at {kind} {v.ip} for {t.hostname}{judged}{today}{in_phase} "
                         f"({v.step}; {said(v)}).{_served(fetches, v.ip)} "
                         f"{hint(v.failure, t.hostname, v.via)}".rstrip())
            # Production's chain rejected after the cutover is fixed as staging's would be: the client's
            # store import (a missing CA), or the provider's chain.
            actions.append(verdict_action(v))
    return parts, actions


def said(v: TrustVerdict) -> str:
    """``Java said: "..."``: a judge's own words, labelled as such after our sentence, never passed off as ours."""
    return f'{"Java" if v.engine == "jvm" else "cryptography"} said: "{v.reason}"'


def _later_failures(pod: PodEvidence, trust: PodTrust, shared: Sequence[str], prefix: str, judge: str,
                    judged: str) -> GateVerdict | None:
    """A failure when the chain trusted today will not be on the renewal date or N days after it."""
    later_failed = [(label, v) for label, v in trust.later if not v.ok and v.ip not in shared]
    if not later_failed:
        return None
    parts = []
    for label, v in later_failed:
        when = parse_instant(v.when) if v.when != "now" else dt.datetime.now(dt.UTC)
        parts.append(f"{judge} trusts the chain at staging {v.ip} today{judged}, but not on {label}: "
                     f"{v.reason}.{_out_of_validity(pod, v.ip, when)}")
    # Staging still serving production's leaf is why it will not last: activating the new one fixes both.
    live = {f.leaf.sha256 for f in pod.production_chains if f.leaf is not None}
    not_staged = any(f.leaf is not None and f.leaf.sha256 in live for f in pod.staging_chains
                     if f.ip not in shared)
    return failed(prefix + " ".join(parts) + " The provider must serve a chain that stays valid "
                  "past the cutover (min_days_after_renewal in datacenters.toml sets the margin).",
                  Action(PROVIDER, SERVE_STAGED if not_staged else SERVE_LASTING))


def _warnings(pod: PodEvidence, trust: PodTrust, shared: Sequence[str], production: Sequence[TrustVerdict],
              prefix: str) -> list[str]:
    """What a pass still says: the approximate engine, shared addresses, production's old chain, browsers."""
    warnings: list[str] = [prefix.strip()] if prefix else []
    if shared:
        warnings.append(f"staging name {pod.staging.staging_name} also resolves to production IP(s) "
                        f"{', '.join(shared)}; they were not counted as staging.")
    for v in trust.production:
        if not v.ok and v not in production:
            warnings.append(f"this JVM rejects production's current (old) chain at {v.ip} ({v.reason}): a client "
                            "with this store cannot connect today. This gate judges the new chain; production counts "
                            "once it serves it.")
    fetched_ok = {f.ip for f in pod.staging_chains if f.error is None}
    for v in trust.strict:
        if not v.ok and v.ip in fetched_ok and v.ip not in shared and v.reason.startswith(CANNOT_JUDGE):
            warnings.append(f"the JVM accepts the chain at {v.ip}; no strict web-PKI verdict beside it: {v.reason}")
        elif not v.ok and v.ip in fetched_ok and v.ip not in shared:
            warnings.append(f"the JVM accepts the chain at {v.ip}; a web-PKI client (browser, curl, Python) would "
                            f"reject it ({said(v)})")
    return warnings


def chain_trusted(pod: PodEvidence, trust: PodTrust, engine_note: str | None = None,
                  at: dt.datetime | None = None, phase: Phase | None = None,
                  store_fix: Sequence[Action] = (), java_options: Sequence[str] = ()) -> GateVerdict:
    """One client's verdicts (`trust`) on one pod: its JVM trusts the chain at every true staging address (the
    new chain) and at production (what it gets today, which after the cutover is the new chain), judged on the
    network evidence `pod`. Never a pass on a chain that was not seen.

    `store_fix`: the store plan's imports of this data centre's CAs (`cutover.gates.storeplan.StorePlan.on` its
    aliases), empty when the store holds them. A chain the JVM finds no path for is then fixed by them, and this
    gate names them itself rather than leave it to aliases_present: a run that selects pods (``--pod``, ``-k``) has
    no store gate, and its plan would otherwise send the person to the provider for a CA missing from their store.
    `java_options`: the client's; a chain its JVM rejects under security settings of its own is first theirs to
    check (`cutover.gates.remedies.own_settings_action`), then the provider's."""
    t, st = pod.target, pod.staging
    prefix = f"[{engine_note}] " if engine_note else ""
    judged = f" (judged at {format_instant(at)})" if at else ""  # as given: a millisecond can decide
    in_phase = f" (phase: {phase.name})" if phase is not None else ""
    not_seen = _not_seen(pod, prefix, in_phase)
    if not_seen is not None:
        return not_seen
    shared = st.shared_ips
    staging = [v for v in trust.verdicts if v.ip not in shared]
    unreached = [v for v in staging if not v.ok and v.step == "proxy"]
    if unreached:
        # The proxy gave no tunnel: the chain was never seen, so this is not a judgement on it.
        judge = "the JVM" if unreached[0].engine == "jvm" else "cryptography (approximate)"
        return failed(prefix + " ".join(
            f"not judged: {judge} could not reach staging {v.ip} for {t.hostname}: {v.reason}" for v in unreached),
            Action("network", FIX_PROXY))
    unjudged = [v for v in (*staging, *trust.production) if v.failure == "needs_jvm"]
    if unjudged:  # the approximate engine gave no verdict: never a pass, and no import either
        return failed(f"{prefix}not judged: {unjudged[0].reason}.", Action("local", RUN_JVM))
    production = _judged_production(pod, trust, phase)
    parts, actions = _rejections(pod, staging, production, judged, in_phase)
    if parts:
        imports = [a for a in store_fix if a.kind in ("import", "changealias")]
        if imports:
            actions = [b for a in actions for b in (imports if a.kind == TRUST_PATH else (a,))]
        own = own_settings_action(java_options)
        if own is not None and any(a.kind == PROVIDER and a.text == SERVE_ACCEPTED for a in actions):
            actions.insert(0, own)
        return failed(prefix + " ".join(parts), *dict.fromkeys(actions))
    judge = _judge((*staging, *production))
    later = _later_failures(pod, trust, shared, prefix, judge, judged)
    if later is not None:
        return later
    warnings = _warnings(pod, trust, shared, production, prefix)
    ips = ", ".join(v.ip for v in staging)
    vias = sorted({v.via for v in staging if v.via})
    ips += f" through proxy {' and '.join(vias)}" if vias else ""
    at_production = f" and at production {', '.join(v.ip for v in production)}" if production else ""
    checked = f"; still valid on {' and on '.join(dict.fromkeys(label for label, _ in trust.later))}" \
        if trust.later else ""
    return GateVerdict(True, f"{prefix}{judge} trusts the chain served at staging {ips}{at_production} for {t.hostname}"
                         f"{judged}{in_phase}{checked}", warnings=tuple(warnings))
