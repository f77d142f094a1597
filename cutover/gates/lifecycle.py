"""Where a pod stands in its renewal: not staged, staged, cut over or rolling, decided from evidence.

The suite runs nightly for weeks around a renewal, so the gates must understand the days after the
cutover as well as those before it: once production serves the new certificate, staging and production
serve the same leaf, and that is success, not "not staged yet". What is *new* is known from the
provider's bundle when it holds the server certificate; otherwise from the renewal date having passed
while staging serves production's certificate; otherwise from an earlier run. Where none of these tells
old from new, the phase is ``unknown`` and says what would tell: a cut-over pod is never called "not
staged" on a guess.

Pure functions over leaf fingerprints per address: no network, no pytest, easy to test on their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from cutover.evidence import Evidence, PodEvidence
from cutover.history.phases import CUT_OVER, NOT_STAGED, ROLLING, STAGED, UNKNOWN, Phase, Previous
from cutover.net.tls import ChainFetch
from cutover.stores.bundle import Bundle

#: Leaf SHA-256 per address; None where no leaf was fetched (refused, timed out, not TLS).
Leaves = Mapping[str, str | None]


def true_staging(staging: Leaves, production: Leaves) -> dict[str, str | None]:
    """The staging addresses that are not production addresses: only these show the new chain."""
    return {ip: sha for ip, sha in staging.items() if ip not in production}


def decide(staging: Leaves, production: Leaves, bundle_servers: Iterable[str] = (),
           renewal_date: dt.date | None = None, now: dt.datetime | None = None,
           previous: Previous | None = None) -> Phase:
    """The phase of one pod from the leaves served at its staging and production addresses.

    `bundle_servers`: SHA-256 of the server certificates in the data centre's bundle (the new ones).
    `previous`: the earlier run's view of this pod, when there is one.
    """
    now = now or dt.datetime.now(dt.UTC)
    real = true_staging(staging, production)
    s_by_ip = {ip: sha for ip, sha in real.items() if sha}
    p_by_ip = {ip: sha for ip, sha in production.items() if sha}
    s, p = set(s_by_ip.values()), set(p_by_ip.values())
    no_staging = not real
    new, known_by = _what_is_new(s, p, frozenset(bundle_servers), renewal_date, now, previous)

    def phase(name: str, why: str) -> Phase:
        since, first_now = None, False
        if name == CUT_OVER:
            # Carried over only for the same leaf: a leaf production did not serve last time is first seen now.
            if previous is not None and previous.phase == CUT_OVER and \
                    (not previous.production_leaves or p <= previous.production_leaves):
                since = previous.cut_over_since or previous.when
            else:
                since, first_now = now, True
        how = f" (new known from {known_by})" if known_by else ""
        return Phase(name, why + how, frozenset(new), known_by, since, first_now, no_staging)

    if not s and not p:
        return phase(UNKNOWN, "no certificate was fetched at staging or at production")
    if len(p) > 1:
        return phase(ROLLING, "production's addresses disagree: " + _split(p_by_ip, new, set()))
    if len(s) > 1:
        return phase(ROLLING, "staging's addresses disagree: " + _split(s_by_ip, new, p))
    if p and new and p <= new:
        return phase(CUT_OVER, "production serves the new certificate")
    if not s:
        why = ("the staging name resolves only to production addresses" if no_staging and staging
               else "the staging name has no address" if no_staging else "no certificate was fetched at staging")
        return phase(UNKNOWN, f"the new chain was not seen: {why}")
    if not p:
        return phase(UNKNOWN, "no certificate was fetched at production, so staging cannot be compared with it")
    if s != p:
        if new and not s <= new:
            return phase(STAGED, "staging serves a certificate other than production's, but not the new one")
        return phase(STAGED, "staging serves a certificate other than production's")
    if new:
        return phase(NOT_STAGED, "staging serves production's certificate, and it is the old one")
    if renewal_date is not None:
        return phase(NOT_STAGED, f"staging serves production's certificate, taken as the old one since the renewal "
                                 f"date {renewal_date:%Y-%m-%d} has not come yet")
    return phase(UNKNOWN, "staging serves production's certificate, and nothing tells whether it is the old or the "
                          "new one: configure the data centre's bundle (with its server certificate) or renewal_date")


def _what_is_new(s: set[str], p: set[str], bundle: frozenset[str], renewal_date: dt.date | None,
                 now: dt.datetime, previous: Previous | None) -> tuple[frozenset[str], str]:
    if bundle:
        return bundle, "the bundle's server certificate"
    if renewal_date is not None and now.date() >= renewal_date and s and s == p:
        return frozenset(p), f"the renewal date {renewal_date:%Y-%m-%d} having passed"
    if previous is not None:
        when = f"{previous.when.astimezone(dt.UTC):%Y-%m-%d %H:%M}Z"
        if previous.new_leaves:
            return previous.new_leaves, f"the run of {when}"
        if p and previous.production_leaves and not (p & previous.production_leaves) and s == p:
            return frozenset(p), f"production's certificate having changed since the run of {when}"
    if s and p and s.isdisjoint(p) and len(s) == 1:
        return frozenset(s), "staging serving a certificate other than production's"
    return frozenset(), ""


def _split(by_ip: Mapping[str, str], new: frozenset[str], production: set[str]) -> str:
    """``127.0.0.1 serves the new leaf (AB12...), 127.0.0.2 the old one (CD34...)``: which address serves what."""
    parts = []
    for ip, sha in by_ip.items():
        what = "the new leaf" if sha in new else "production's leaf" if sha in production \
            else "an old leaf" if new else "another leaf"
        parts.append(f"{ip} serves {what} ({sha[:16]}...)")
    return ", ".join(parts)


def leaves_of(pod: PodEvidence) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """(staging, production): the leaf fingerprint served at each address of the pod."""
    def by_ip(fetches: Iterable[ChainFetch]) -> dict[str, str | None]:
        return {f.ip: (f.leaf.sha256 if f.leaf is not None else None) for f in fetches}
    return by_ip(pod.staging_chains), by_ip(pod.production_chains)


def phase_of(pod: PodEvidence, bundle: Bundle | None, previous: Previous | None = None,
             now: dt.datetime | None = None) -> Phase:
    """The phase of a gathered pod: its leaves, its data centre's bundle, renewal date and previous run."""
    staging, production = leaves_of(pod)
    servers = [c.sha256 for c in bundle.servers] if bundle is not None else []
    return decide(staging, production, servers, pod.target.renewal_date, now, previous)


def phases(evidence: Evidence, previous: Mapping[str, Previous] | None = None,
           now: dt.datetime | None = None) -> dict[str, Phase]:
    """Every pod's phase, per target id."""
    previous = previous or {}
    return {tid: phase_of(pod, evidence.bundles.get(pod.target.dc), previous.get(tid), now)
            for tid, pod in evidence.pods.items()}


def all_cut_over(evidence: Evidence, phases: Mapping[str, Phase], only: Iterable[str] | None = None) -> bool:
    """Every pod (of `only`, target ids, when given) is cut over and every client accepts what production serves.

    After the switch "ready for cutover" is the wrong news: the renewal is done. Production's verdicts are the
    proof, per client, since a cut-over pod whose production a client rejects is an outage, not a success.
    """
    wanted = set(only) if only is not None else set(evidence.pods)
    pods = [tid for tid in evidence.pods if tid in wanted]
    if not pods or any(phases.get(tid) is None or phases[tid].name != CUT_OVER for tid in pods):
        return False
    for c in evidence.clients.values():
        for tid in pods:
            trust = c.verdicts.get(tid)
            if trust is not None and (not trust.production or not all(v.ok for v in trust.production)):
                return False
    return bool(evidence.clients)
