"""Gate 5, per pod: the certificate served at staging is the new one, not production's (and the bundle's); or
the pod is cut over: production serves it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cutover.base.certs import CertInfo
from cutover.evidence import PodEvidence
from cutover.gates.fixplan import PROVIDER, Action
from cutover.gates.remedies import CONFIRM_CERT, FINISH_STAGING, SERVE_STAGED, TELL_NEW, fetch_action, staging_action
from cutover.gates.verdict import GateVerdict, failed
from cutover.history.phases import CUT_OVER, ROLLING, UNKNOWN, Phase
from cutover.stores.bundle import Bundle


def _days(when: dt.datetime, now: dt.datetime) -> str:
    days = (when - now).days
    return f"in {days} day(s)" if days >= 0 else f"{-days} day(s) ago"


def _calendar(pod: PodEvidence, live: Sequence[CertInfo], now: dt.datetime) -> str:
    """When production's leaf expires and the renewal is due: the dates a person escalates by."""
    if not live:
        return ""
    t = pod.target
    soonest = min(live, key=lambda c: c.not_after)
    calendar = f" The production leaf expires {soonest.not_after:%Y-%m-%d} ({_days(soonest.not_after, now)})"
    if t.renewal_date:
        renewal = dt.datetime.combine(t.renewal_date, dt.time(), dt.UTC)
        calendar += f"; the renewal date is {t.renewal_date:%Y-%m-%d} ({_days(renewal, now)})"
    return calendar + "."


def _not_fetched(pod: PodEvidence) -> GateVerdict | None:
    """A failure when no certificate of staging's own was seen: its addresses are production's, or none
    gave a chain."""
    t = pod.target
    true_staging = pod.true_staging_chains
    if pod.staging_chains and not true_staging:
        return failed(f"not judged: staging name {pod.staging.staging_name} resolves only to production IP(s) "
                      f"of {t.hostname} ({', '.join(f.ip for f in pod.staging_chains)}), so the certificate "
                      "on staging was not seen (see staging_resolves).", staging_action(pod.staging))
    if any(f.leaf is not None for f in true_staging):
        return None
    why = pod.staging.problem or "; ".join(f.error for f in true_staging if f.error) or "no staging IP"
    action = staging_action(pod.staging) if pod.staging.problem or not true_staging else fetch_action(true_staging)
    return failed(f"not judged: no certificate was fetched from staging for {t.hostname} ({why}).", action)


def _same_as_production(pod: PodEvidence, leaf: CertInfo, calendar: str, warn_days: int, now: dt.datetime,
                        phase: Phase | None) -> GateVerdict:
    t = pod.target
    if phase is not None and phase.name == UNKNOWN:
        return failed(f"staging serves the same leaf as production for {t.hostname} ({leaf.short}), "
                      f"and whether that is the old or the new certificate is not known: {phase.why}."
                      f"{calendar}", Action("local", TELL_NEW))
    urgent = ""
    if leaf.not_after - now <= dt.timedelta(days=warn_days):
        urgent = (f" URGENT: it expires within warn_days ({warn_days}) and staging still serves it: escalate on "
                  "the service request now.")
    # Only true staging addresses were compared (a staging name answered with production IPs alone is
    # "not judged" above), so production's leaf there is the provider's to replace.
    return failed(f"the new certificate is not on staging yet for {t.hostname}: staging serves the same "
                  f"leaf as production ({leaf.short}).{calendar}{urgent} Ask the provider when the renewed "
                  "certificate will be activated on Akamai staging.", Action(PROVIDER, SERVE_STAGED))


def new_cert_staged(pod: PodEvidence, bundle: Bundle | None, warn_days: int = 14,
                    now: dt.datetime | None = None, phase: Phase | None = None) -> GateVerdict:
    """The new certificate is on staging: not production's (and the bundle's when there is one), or, once the
    pod is cut over, on production too."""
    now = now or dt.datetime.now(dt.UTC)
    t = pod.target
    live = [f.leaf for f in pod.production_chains if f.leaf is not None]
    if phase is not None and phase.name == CUT_OVER and live:
        return GateVerdict(True, f"cut over: production serves the new certificate {phase.since_text}: "
                                 f"{live[0].short} at {', '.join(f.ip for f in pod.production_chains)} for "
                                 f"{t.hostname} (new known from {phase.known_by}).")
    not_fetched = _not_fetched(pod)
    if not_fetched is not None:
        return not_fetched
    staged = [f.leaf for f in pod.true_staging_chains if f.leaf is not None]
    rolling = phase is not None and phase.name == ROLLING
    if rolling and phase is not None and len({c.sha256 for c in staged}) > 1:
        return failed(f"rolling: the staging addresses of {t.hostname} serve different leaves: {phase.why}. "
                      "Staging has not finished switching to the new certificate; until every address serves "
                      "it, some clients would get the old one. Ask the provider to finish the activation on "
                      "Akamai staging, then run again.", Action(PROVIDER, FINISH_STAGING))
    same = [c for c in staged if any(c.sha256 == p.sha256 for p in live)]
    calendar = _calendar(pod, live, now)
    if same and rolling and phase is not None and phase.new_leaves \
            and all(c.sha256 in phase.new_leaves for c in staged):
        # Production is switching, and staging serves what some production addresses already serve: the new one.
        return GateVerdict(True, f"rolling: production is switching to the new certificate ({phase.why}); staging "
                             f"serves it for {t.hostname}: {staged[0].short}.")
    if same:
        return _same_as_production(pod, same[0], calendar, warn_days, now, phase)
    if bundle is not None and bundle.servers:
        foreign = [c for c in staged if all(c.sha256 != s.sha256 for s in bundle.servers)]
        if foreign:
            return failed(f"staging serves {foreign[0].short} for {t.hostname}, which is not a server "
                          f"certificate of the {t.dc} bundle ({', '.join(s.short for s in bundle.servers)})."
                          f"{calendar} Either the bundle is out of date (download it again) or staging "
                          "serves another certificate than the one the provider announced.",
                          Action(PROVIDER, CONFIRM_CERT))
    return GateVerdict(True, f"staging serves a new leaf for {t.hostname}: {staged[0].short}, not production's"
                         f"{' and the bundle' + chr(39) + 's server certificate' if bundle is not None else ''}."
                         f"{calendar}")
