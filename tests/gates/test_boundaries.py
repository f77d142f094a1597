"""The gates' date boundaries pinned on hand-built evidence, one second or one day either side, the way
pyca/cryptography's verification tests pin a validity period."""

from __future__ import annotations

import datetime as dt

import pytest

from cutover.base.certs import CertInfo
from cutover.config import Target
from cutover.evidence import PodEvidence, PodTrust
from cutover.gates.chain_trusted import chain_trusted
from cutover.gates.new_cert_staged import new_cert_staged
from cutover.judge import python as pyjudge
from cutover.net.dns import StagingEvidence
from cutover.net.tls import ChainFetch
from cutover.sandbox import pki

HOST = "acme.fa.us2.oraclecloud.com"
STAGING_IP, PRODUCTION_IP = "127.20.0.1", "127.21.0.1"
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
RENEWAL = dt.date(2026, 6, 15)
SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def ca() -> tuple[pki.Issued, pki.Issued]:
    root = pki.make_root("Boundary Root", not_before=NOW - 365 * DAY, not_after=NOW + 3650 * DAY)
    return root, pki.make_intermediate("Boundary Issuing CA", root, not_before=NOW - 180 * DAY,
                                       not_after=NOW + 1825 * DAY)


def _leaf(ca: tuple[pki.Issued, pki.Issued], not_after: dt.datetime) -> CertInfo:
    return CertInfo.from_cert(pki.make_leaf([HOST], ca[1], not_before=NOW - 30 * DAY, not_after=not_after).cert)


def _target(min_days: int = 30, warn_days: int = 14) -> Target:
    return Target("us2", "acme", HOST, 443, None, 5.0, renewal_date=RENEWAL, min_days_after_renewal=min_days,
                  warn_days=warn_days)


def _pod(t: Target, staging: tuple[CertInfo, ...], production: CertInfo) -> PodEvidence:
    st = StagingEvidence(HOST, (HOST, f"{HOST}.edgekey.net"), (PRODUCTION_IP,), f"{HOST}.edgekey.net",
                         f"{HOST}.edgekey-staging.net", (f"{HOST}.edgekey-staging.net",), (STAGING_IP,))
    return PodEvidence(t, st, (ChainFetch(STAGING_IP, 443, HOST, staging),),
                       (ChainFetch(PRODUCTION_IP, 443, HOST, (production,)),))


# -- new_cert_staged: warn_days ------------------------------------------------------------------------

@pytest.mark.parametrize(("expires_in", "urgent"), [
    (14 * DAY - SECOND, True),
    (14 * DAY, True),  # exactly warn_days: within it
    (14 * DAY + SECOND, False),
    (15 * DAY, False),  # warn_days + 1
])
def test_staging_still_serving_production_s_leaf_is_urgent_within_warn_days(ca, expires_in, urgent) -> None:
    leaf = _leaf(ca, NOW + expires_in)
    verdict = new_cert_staged(_pod(_target(warn_days=14), (leaf,), leaf), None, warn_days=14, now=NOW)
    assert not verdict.ok and "the new certificate is not on staging yet" in verdict.message
    assert ("URGENT: it expires within warn_days (14)" in verdict.message) is urgent


def test_warn_days_zero_is_urgent_only_on_the_expiry_instant_itself(ca) -> None:
    leaf = _leaf(ca, NOW)
    assert "URGENT" in new_cert_staged(_pod(_target(), (leaf,), leaf), None, warn_days=0, now=NOW).message
    later = _leaf(ca, NOW + SECOND)
    assert "URGENT" not in new_cert_staged(_pod(_target(), (later,), later), None, warn_days=0, now=NOW).message


# -- the renewal day and min_days_after_renewal --------------------------------------------------------

def test_the_later_dates_are_the_renewal_day_at_midnight_and_n_days_after() -> None:
    (label, day), (after_label, after) = _target(min_days=30).later_dates()
    assert day == dt.datetime(2026, 6, 15, tzinfo=dt.UTC) and label == "the renewal date 2026-06-15"
    assert after == day + 30 * DAY and after_label == "30 days after the renewal date (2026-07-15)"
    assert Target("us2", "acme", HOST, 443, None, 5.0).later_dates() == ()


def _judged(ca, leaf: CertInfo, at: dt.datetime):
    anchors = [CertInfo.from_cert(ca[0].cert)]
    return pyjudge.verify("us2/acme", STAGING_IP, (leaf, CertInfo.from_cert(ca[1].cert)), HOST, anchors, at)


@pytest.mark.parametrize(("expires", "trusted"), [
    (-SECOND, False),
    (dt.timedelta(0), True),  # valid through its notAfter instant (RFC 5280: inclusive)
    (SECOND, True),
])
def test_a_leaf_is_judged_on_the_renewal_day_itself(ca, expires, trusted) -> None:
    (_, day), _ = _target().later_dates()
    verdict = _judged(ca, _leaf(ca, day + expires), day)
    assert verdict.ok is trusted, verdict.reason
    assert (verdict.failure is None) is trusted


@pytest.mark.parametrize(("expires", "trusted"), [(-DAY, False), (DAY, True)])
def test_min_days_after_renewal_one_day_either_side(ca, expires, trusted) -> None:
    t = _target(min_days=30)
    (day_label, day), (after_label, after) = t.later_dates()
    leaf = _leaf(ca, after + expires)
    assert _judged(ca, leaf, day).ok  # both outlive the renewal day itself
    verdict = _judged(ca, leaf, after)
    assert verdict.ok is trusted, verdict.reason
    # The gate on the same evidence: trusted today, and it fails only when it will not last N days.
    now = _judged(ca, leaf, NOW)
    later = ((day_label, _judged(ca, leaf, day)), (after_label, verdict))
    gate = chain_trusted(_pod(t, (leaf, CertInfo.from_cert(ca[1].cert)), _leaf(ca, NOW + 10 * DAY)),
                         PodTrust((now,), later))
    assert gate.ok is trusted, gate.message
    if not trusted:
        assert f"but not on {after_label}" in gate.message and "min_days_after_renewal" in gate.message
        assert [a.kind for a in gate.actions] == ["provider"]
