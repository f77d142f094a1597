"""Gate 1's warning about a split horizon: what to do depends on whether the user already chose the resolver."""

from __future__ import annotations

from cutover.config import Target
from cutover.evidence import PodEvidence
from cutover.gates.staging_resolves import staging_resolves
from cutover.net.dns import StagingEvidence

HOST = "acme.fa.us2.oraclecloud.com"


def _pod(staging_ips: tuple[str, ...], production_ips: tuple[str, ...]) -> PodEvidence:
    st = StagingEvidence(HOST, cname_chain=(HOST, "e1.a.akamaiedge.net"), production_ips=production_ips,
                         staging_name="acme.edgekey-staging.net", staging_ips=staging_ips)
    return PodEvidence(Target("us2", "acme", HOST, 443, None, 5.0), st, (), ())


def test_private_answers_from_the_system_resolver_say_to_ask_a_public_one() -> None:
    verdict = staging_resolves(_pod(("10.1.2.3",), ("10.9.9.9",)))
    assert verdict.ok
    [warning] = verdict.warnings
    assert "split-horizon DNS or a local override" in warning
    assert "Ask with the public resolver (--nameserver)" in warning


def test_private_answers_through_the_given_nameserver_do_not_say_pass_nameserver_again() -> None:
    """The issue: the warning told the user to pass --nameserver when they had."""
    verdict = staging_resolves(_pod(("10.1.2.3",), ("23.1.1.1",)), nameservers=(("10.0.0.53", 53), ("10.0.0.54", 5353)))
    [warning] = verdict.warnings
    assert "although it was asked through --nameserver 10.0.0.53, 10.0.0.54:5353" in warning
    assert "that server is itself inside the split horizon" in warning
    assert "a resolver outside your network" in warning and "allow_private_ips = true" in warning
    assert "Ask with the public resolver" not in warning


def test_public_answers_and_allowed_private_ones_warn_nothing() -> None:
    assert staging_resolves(_pod(("23.1.1.2",), ("23.1.1.1",)), nameservers=(("8.8.8.8", 53),)).warnings == ()
    assert staging_resolves(_pod(("10.1.2.3",), ("10.9.9.9",)), allow_private_ips=True).warnings == ()
