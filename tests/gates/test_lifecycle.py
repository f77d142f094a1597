"""The phase decision on its own: leaves per address in, phase and reason out. No network."""

from __future__ import annotations

import datetime as dt

import pytest

from cutover.gates.lifecycle import decide
from cutover.history.phases import CUT_OVER, NOT_STAGED, ROLLING, STAGED, UNKNOWN, Previous

OLD, NEW, OTHER = "0" * 64, "1" * 64, "2" * 64
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
S1, S2, P1, P2 = "127.20.0.1", "127.20.0.2", "127.10.0.1", "127.10.0.2"


def test_before_the_renewal_staging_serves_the_new_certificate() -> None:
    phase = decide({S1: NEW}, {P1: OLD}, [NEW], now=NOW)
    assert phase.name == STAGED and "bundle" in phase.known_by and phase.since is None


def test_staging_serving_production_s_old_certificate_is_not_staged() -> None:
    phase = decide({S1: OLD}, {P1: OLD}, [NEW], now=NOW)
    assert phase.name == NOT_STAGED
    assert "it is the old one" in phase.why


def test_production_serving_the_bundle_s_certificate_is_cut_over_first_seen_now() -> None:
    phase = decide({S1: NEW}, {P1: NEW}, [NEW], now=NOW)
    assert phase.name == CUT_OVER
    assert phase.since == NOW and phase.first_seen_now
    assert phase.since_text == "since 2026-12-01 09:00Z (first seen in this run)"


def test_cut_over_since_comes_from_the_run_that_first_saw_it() -> None:
    first = dt.datetime(2026, 11, 28, 2, 17, tzinfo=dt.UTC)
    yesterday = Previous(NOW - dt.timedelta(days=1), CUT_OVER, frozenset({NEW}), frozenset({NEW}), first)
    phase = decide({S1: NEW}, {P1: NEW}, [NEW], now=NOW, previous=yesterday)
    assert phase.since == first and not phase.first_seen_now
    assert phase.since_text == "since 2026-11-28 02:17Z (first seen by the run of 2026-11-28 02:17Z)"


def test_a_leaf_production_did_not_serve_last_time_is_first_seen_now() -> None:
    """Cut over last time with one leaf, now with another (a second renewal, a re-issue): not "an earlier run"."""
    first = dt.datetime(2026, 11, 28, 2, 17, tzinfo=dt.UTC)
    yesterday = Previous(NOW - dt.timedelta(days=1), CUT_OVER, frozenset({OLD}), frozenset({OLD}), first)
    phase = decide({S1: NEW}, {P1: NEW}, [NEW], now=NOW, previous=yesterday)
    assert phase.name == CUT_OVER and phase.since == NOW and phase.first_seen_now
    assert phase.since_text == "since 2026-12-01 09:00Z (first seen in this run)"


def test_without_a_bundle_the_passed_renewal_date_tells_cut_over() -> None:
    phase = decide({S1: NEW}, {P1: NEW}, (), renewal_date=dt.date(2026, 11, 30), now=NOW)
    assert phase.name == CUT_OVER and "renewal date 2026-11-30" in phase.known_by


def test_without_a_bundle_before_the_renewal_date_the_same_leaf_is_taken_as_old() -> None:
    phase = decide({S1: OLD}, {P1: OLD}, (), renewal_date=dt.date(2026, 12, 15), now=NOW)
    assert phase.name == NOT_STAGED and "has not come yet" in phase.why


def test_with_nothing_to_tell_old_from_new_a_pod_is_never_called_not_staged() -> None:
    phase = decide({S1: NEW}, {P1: NEW}, (), now=NOW)
    assert phase.name == UNKNOWN
    assert "bundle" in phase.why and "renewal_date" in phase.why


def test_the_previous_run_tells_what_is_new() -> None:
    """Yesterday staging served NEW beside production's OLD; today production serves NEW: cut over."""
    yesterday = Previous(NOW - dt.timedelta(days=1), STAGED, frozenset({NEW}), frozenset({OLD}))
    phase = decide({S1: NEW}, {P1: NEW}, (), now=NOW, previous=yesterday)
    assert phase.name == CUT_OVER and "the run of 2026-11-30 09:00Z" in phase.known_by


def test_production_changed_since_the_previous_run_and_matches_staging_is_cut_over() -> None:
    yesterday = Previous(NOW - dt.timedelta(days=1), UNKNOWN, frozenset(), frozenset({OLD}))
    phase = decide({S1: NEW}, {P1: NEW}, (), now=NOW, previous=yesterday)
    assert phase.name == CUT_OVER and "changed since" in phase.known_by


@pytest.mark.parametrize(("staging", "production", "says"), [
    ({S1: NEW, S2: OLD}, {P1: OLD}, f"staging's addresses disagree: {S1} serves the new leaf (1111111111111111...), "
                                    f"{S2} serves production's leaf (0000000000000000...)"),
    ({S1: NEW}, {P1: NEW, P2: OLD}, f"production's addresses disagree: {P1} serves the new leaf (1111111111111111...), "
                                    f"{P2} serves an old leaf (0000000000000000...)"),
])
def test_addresses_of_one_name_that_disagree_are_rolling(staging: dict, production: dict, says: str) -> None:
    phase = decide(staging, production, [NEW], now=NOW)
    assert phase.name == ROLLING and says in phase.why


def test_staging_that_resolves_only_to_production_shows_no_new_chain() -> None:
    phase = decide({P1: OLD}, {P1: OLD}, [NEW], now=NOW)
    assert phase.name == UNKNOWN and phase.staging_only_production
    assert "resolves only to production addresses" in phase.why


def test_a_cut_over_pod_whose_staging_name_is_broken_is_still_cut_over() -> None:
    phase = decide({}, {P1: NEW}, [NEW], now=NOW)
    assert phase.name == CUT_OVER and phase.staging_only_production


def test_another_certificate_on_staging_is_staged_but_named_not_new() -> None:
    phase = decide({S1: OTHER}, {P1: OLD}, [NEW], now=NOW)
    assert phase.name == STAGED and "but not the new one" in phase.why


@pytest.mark.parametrize(("staging", "production", "says"), [
    ({S1: None}, {P1: None}, "no certificate was fetched at staging or at production"),
    ({S1: None}, {P1: OLD}, "no certificate was fetched at staging"),
    ({S1: NEW}, {P1: None}, "no certificate was fetched at production"),
    ({}, {P1: OLD}, "the staging name has no address"),
])
def test_missing_evidence_gives_unknown_with_the_reason(staging: dict, production: dict, says: str) -> None:
    phase = decide(staging, production, [NEW], now=NOW)
    assert phase.name == UNKNOWN and says in phase.why


# -- the gates on a phase (hand-made evidence: the sandbox scenarios show the same end to end) ----------

def _pod(staging_ips: tuple[str, ...], production_ips: tuple[str, ...], staging_leaf, production_leaf,
         production_ok: bool = True):
    from cutover.base.certs import CertInfo
    from cutover.config import Target
    from cutover.evidence import PodEvidence, PodTrust
    from cutover.judge.wire import TrustVerdict
    from cutover.net.dns import StagingEvidence
    from cutover.net.tls import ChainFetch

    host = "acme.fa.us2.oraclecloud.com"
    t = Target("us2", "acme", host, 443, None, 5.0)
    st = StagingEvidence(host, staging_name=f"{host}.edgekey-staging.net", staging_ips=staging_ips,
                         production_ips=production_ips)
    s_leaf, p_leaf = CertInfo.from_cert(staging_leaf.cert), CertInfo.from_cert(production_leaf.cert)
    pod = PodEvidence(
        t, st, tuple(ChainFetch(ip, 443, host, (s_leaf if ip not in production_ips else p_leaf,))
                     for ip in staging_ips),
        tuple(ChainFetch(ip, 443, host, (p_leaf,)) for ip in production_ips))
    trust = PodTrust(
        tuple(TrustVerdict(t.id, ip, True, "trusted") for ip in staging_ips),
        production=tuple(TrustVerdict(t.id, ip, production_ok, "trusted" if production_ok else
                                     "PKIX path building failed") for ip in production_ips))
    return pod, trust


@pytest.fixture(scope="module")
def leaves():
    from cutover.sandbox import pki

    root = pki.make_root("Test Root")
    inter = pki.make_intermediate("Test Issuing CA", root)
    return pki.make_leaf(["acme.fa.us2.oraclecloud.com"], inter), pki.make_leaf(["acme.fa.us2.oraclecloud.com"], inter)


def test_chain_trusted_never_passes_on_production_s_chain_seen_at_a_staging_name(leaves) -> None:
    from cutover.gates.chain_trusted import chain_trusted
    from cutover.gates.fixplan import Action
    from cutover.gates.lifecycle import phase_of
    from cutover.gates.new_cert_staged import new_cert_staged
    from cutover.gates.remedies import CHECK_OVERRIDE
    from cutover.gates.staging_resolves import staging_resolves

    _, old = leaves
    pod, trust = _pod((P1,), (P1,), old, old)  # every verdict is "trusted": of production's chain
    phase = phase_of(pod, None)
    verdict = chain_trusted(pod, trust, phase=phase)
    assert not verdict.ok
    assert "not judged: the new chain was not seen" in verdict.message and "(phase: unknown)" in verdict.message
    # The fix plan's step is staging_resolves's own (the resolver answers with production IPs), so it merges.
    assert verdict.actions == staging_resolves(pod).actions == (Action("local", CHECK_OVERRIDE),)
    staged = new_cert_staged(pod, None, now=NOW, phase=phase)
    assert not staged.ok and staged.actions == verdict.actions


def test_chain_trusted_fails_on_production_naming_address_and_phase(leaves) -> None:
    from cutover.gates.chain_trusted import chain_trusted
    from cutover.gates.lifecycle import decide

    new, _ = leaves
    pod, trust = _pod((S1,), (P1,), new, new, production_ok=False)
    phase = decide({S1: "x"}, {P1: "x"}, ["x"], now=NOW)
    verdict = chain_trusted(pod, trust, phase=phase)
    assert not verdict.ok
    assert f"rejects the chain at production {P1}" in verdict.message and "(phase: cut over)" in verdict.message
    # No path to a trusted CA: the plan files it under the store's import, or asks the provider (cutover.gates.fixplan).
    assert [a.kind for a in verdict.actions] == ["trust-path"]


def test_a_leaf_not_known_as_old_or_new_asks_for_the_bundle_or_renewal_date(leaves) -> None:
    from cutover.gates.fixplan import Action
    from cutover.gates.lifecycle import phase_of
    from cutover.gates.new_cert_staged import new_cert_staged
    from cutover.gates.remedies import TELL_NEW

    _, old = leaves
    pod, _ = _pod((S1,), (P1,), old, old)
    phase = phase_of(pod, None, now=NOW)
    verdict = new_cert_staged(pod, None, now=NOW, phase=phase)
    assert phase.name == UNKNOWN and not verdict.ok and "is not known" in verdict.message
    assert verdict.actions == (Action("local", TELL_NEW),)


def test_new_cert_staged_passes_a_cut_over_pod_and_says_since_when(leaves) -> None:
    from cutover.gates.lifecycle import phase_of
    from cutover.gates.new_cert_staged import new_cert_staged

    new, _ = leaves
    pod, _ = _pod((S1,), (P1,), new, new)
    failed = new_cert_staged(pod, None, now=NOW)  # without a phase: the old reading, a false failure
    assert not failed.ok and "not on staging yet" in failed.message
    from cutover.base.certs import CertInfo

    phase = phase_of(pod, None, Previous(NOW - dt.timedelta(days=1), STAGED,
                                         frozenset({CertInfo.from_cert(new.cert).sha256}), frozenset({OLD})), NOW)
    verdict = new_cert_staged(pod, None, now=NOW, phase=phase)
    assert verdict.ok
    assert verdict.message.startswith("cut over: production serves the new certificate since 2026-12-01 09:00Z "
                                      "(first seen in this run)")


def test_the_run_is_cut_over_only_when_every_pod_is_and_every_client_accepts_production(leaves) -> None:
    """After the switch the verdict says the renewal is done, not "ready for cutover"; a rejecting client or a
    pod still staged keeps it "ready"."""
    from cutover.base.certs import CertInfo
    from cutover.config import Client
    from cutover.evidence import ClientEvidence, Evidence
    from cutover.gates.lifecycle import all_cut_over, leaves_of
    from cutover.gates.outcomes import Record
    from cutover.gates.run_verdict import CUT_OVER_VERDICT, sentence

    old, new = leaves
    records = [Record("cutover::chain_trusted[us2/acme]", "chain_trusted", "us2/acme")]

    def run(production_ok: bool, production_leaf) -> tuple[str, bool]:  # type: ignore[no-untyped-def]
        pod, trust = _pod(("127.20.11.1",), ("127.10.11.1",), new, production_leaf, production_ok)
        client = ClientEvidence(Client("default", None, "", None, (), ("us2",)), None, None, None, None,
                                {"us2/acme": trust})
        ev = Evidence({"us2/acme": pod}, {"default": client}, {}, 0.1)
        staging, production = leaves_of(pod)  # the bundle's server certificate is the new one
        p = {"us2/acme": decide(staging, production, [CertInfo.from_cert(new.cert).sha256], now=NOW)}
        v = sentence(records, cut_over=all_cut_over(ev, p))
        return v.sentence, v.ready

    assert run(True, new) == (f"{CUT_OVER_VERDICT} (all 1 gate tests passed)", True)
    assert run(False, new)[0].startswith("ready for cutover"), "a client rejects production: not done"
    assert run(True, old)[0].startswith("ready for cutover"), "staging differs from production: staged, not done"
