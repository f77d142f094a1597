"""Every failure kind routes to the fix-plan action it did when routes were read from the messages.

The expected tables were written first by running the substring classifiers that gates/__init__.py had
(`_dns_action`, `_connection_action`, `_hint`) on the sentences each kind produced then: DNS messages of
net/dns.py, fetch errors of net/tls.py and the proxy's `describe`, and the JVM's reasons as the sandbox
scenarios show them. A kind now routes without its words; the messages stay as they were.
"""

from __future__ import annotations

from typing import get_args

import pytest

from cutover.gates import remedies as r
from cutover.gates.fixplan import PROVIDER, TRUST_PATH, Action
from cutover.judge.reasons import TrustFailure, VerdictFailure, failure_of
from cutover.judge.wire import TrustVerdict
from cutover.net.dns import DnsFailure, StagingEvidence
from cutover.net.tls import ChainFetch, ConnectFailure, FetchFailure
from cutover.net.tunnel import PROXY_FAILURES, ProxyFailure, describe, proxy_failure

HOST = "acme.fa.us2.oraclecloud.com"
VIA = "http://127.30.0.1:3128 (--proxy)"
IP = "127.20.0.1"

RESOLVER = Action("network", r.CHECK_RESOLVER)
OPEN_PATH = Action("network", r.OPEN_PATH)
FIX_PROXY = Action("network", r.FIX_PROXY)
REJECTED = Action(PROVIDER, r.SERVE_ACCEPTED)

DNS: dict[DnsFailure, Action] = {
    "production_nxdomain": Action("local", r.CHECK_HOSTNAME),
    "nxdomain": Action(PROVIDER, r.ACTIVATE_STAGING),
    "no_answer": Action(PROVIDER, r.ACTIVATE_STAGING),
    "no_edge_hostname": Action(PROVIDER, r.NAME_STAGING),
    "cname_too_long": Action(PROVIDER, r.FIX_CNAMES),
    "servfail": RESOLVER,
    "timeout": RESOLVER,
    "dns_error": RESOLVER,
    "internal": RESOLVER,
}

#: Python's chain fetch: (direct, through a proxy). Through a proxy, what failed after the tunnel opened
#: was the proxy's (its message said "through proxy"); a refused connect or a bad certificate was not.
FETCH: dict[FetchFailure, tuple[Action, Action]] = {
    "timeout": (OPEN_PATH, FIX_PROXY),
    "refused": (OPEN_PATH, OPEN_PATH),
    "reset": (OPEN_PATH, FIX_PROXY),
    "unreachable": (OPEN_PATH, FIX_PROXY),
    "closed": (REJECTED, FIX_PROXY),
    "not_tls": (REJECTED, FIX_PROXY),
    "handshake": (REJECTED, FIX_PROXY),
    "socket_error": (REJECTED, FIX_PROXY),
    "unparseable": (REJECTED, REJECTED),
    "internal": (REJECTED, REJECTED),
    **{kind: (FIX_PROXY, FIX_PROXY) for kind in PROXY_FAILURES},
}

#: The JVM's reasons (as Probe.reason joins the exception chain) -> the kind read from them, its action.
JAVA: list[tuple[str, VerdictFailure, Action]] = [
    ("cannot build a PKIX trust manager from the store: java.security.InvalidAlgorithmParameterException: the "
     "trustAnchors parameter must be non-empty", "no_anchor", Action("local", r.GIVE_PASSWORD)),
    ("javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath."
     "SunCertPathBuilderException: unable to find valid certification path to requested target",
     "no_trust_path", Action(TRUST_PATH, r.SERVE_PATH)),
    (f"java.security.cert.CertificateException: No subject alternative DNS name matching {HOST} found.",
     "name_mismatch", Action(PROVIDER, r.SERVE_NAME)),
    (f"java.security.cert.CertificateException: No name matching {HOST} found", "name_mismatch",
     Action(PROVIDER, r.SERVE_NAME)),
    ("sun.security.validator.ValidatorException: PKIX path validation failed: java.security.cert."
     "CertPathValidatorException: validity check failed | caused by java.security.cert.CertificateExpiredException: "
     "NotAfter: Mon Jan 01 00:00:00 UTC 2024", "expired", Action(PROVIDER, r.SERVE_VALID)),
    ("java.security.cert.CertPathValidatorException: validity check failed | caused by java.security.cert."
     "CertificateNotYetValidException: NotBefore: Mon Jan 01 00:00:00 UTC 2035", "not_yet_valid",
     Action(PROVIDER, r.SERVE_VALID)),
    ("sun.security.validator.ValidatorException: PKIX path validation failed: java.security.cert."
     "CertPathValidatorException: Could not determine revocation status", "revocation_unknown",
     Action("local", r.REACH_REVOCATION)),
    ("java.net.SocketException: Can't connect to SOCKS proxy:Connection refused", "proxy_error", FIX_PROXY),
    ("connect timed out after 5000 ms: java.net.SocketTimeoutException: Connect timed out", "timeout", OPEN_PATH),
    ("TLS handshake timed out after 5000 ms: java.net.SocketTimeoutException: Read timed out", "timeout", OPEN_PATH),
    ("java.net.ConnectException: Connection refused", "refused", OPEN_PATH),
    ("java.net.NoRouteToHostException: No route to host", "unreachable", OPEN_PATH),
    ("java.net.SocketException: Network is unreachable", "unreachable", OPEN_PATH),
    ("java.net.SocketException: Connection reset", "reset", OPEN_PATH),
    ("javax.net.ssl.SSLHandshakeException: Remote host terminated the handshake | caused by java.io.EOFException: "
     "SSL peer shut down incorrectly", "closed", REJECTED),
    ("javax.net.ssl.SSLException: Unsupported or unrecognized SSL message", "not_tls", REJECTED),
    ("javax.net.ssl.SSLProtocolException: The certificate chain length (11) exceeds the maximum allowed length (10)",
     "rejected", REJECTED),
    ("sun.security.validator.ValidatorException: PKIX path validation failed: java.security.cert."
     "CertPathValidatorException: signature check failed | caused by java.security.SignatureException: Signature "
     "does not match.", "rejected", REJECTED),
    ("the truststore could not be loaded by Java: keystore password was incorrect", "rejected", REJECTED),
    ("the JVM gave no verdict: no verdict was printed", "rejected", REJECTED),
    ("cryptography: candidates exhausted: all candidates exhausted with no interior errors", "rejected", REJECTED),
]

#: The hint after a rejection, by kind: (direct, through a proxy); "" when there is none.
FIREWALL = "The staging IP did not complete a handshake: check the firewall"
THROUGH = f"The staging IP did not complete a handshake through proxy {VIA}"
TUNNEL = f"The tunnel through proxy {VIA} closed during the handshake"
HINTS: dict[VerdictFailure, tuple[str, str]] = {
    "no_trust_path": ("The truststore holds no certificate this chain leads to",) * 2,
    "name_mismatch": (f"The certificate served at staging does not name {HOST}",) * 2,
    "expired": ("A certificate of the served chain has expired",) * 2,
    "not_yet_valid": ("A certificate of the served chain is not valid yet",) * 2,
    "revocation_unknown": ("The client checks revocation",) * 2,
    "no_certificate": ("The server sent no certificate this client could be asked about",) * 2,
    "proxy_error": (FIREWALL, THROUGH),
    "timeout": (FIREWALL, THROUGH),
    "refused": (FIREWALL, THROUGH),
    "reset": ("", TUNNEL),
    "closed": ("", TUNNEL),
    "unreachable": ("", ""),
    "not_tls": ("", ""),
    "handshake": ("", ""),
    "socket_error": ("", ""),
    "unparseable": ("", ""),
    "rejected": ("", ""),
}


def test_every_kind_is_in_the_tables() -> None:
    assert set(DNS) == set(get_args(DnsFailure))
    assert set(FETCH) == set(get_args(ConnectFailure)) | PROXY_FAILURES
    # Kinds said without words: by the fetch, or by the probe (no_certificate: its trust manager never called;
    # client_option and no_sni: the options it applied, the SNI it did not send; needs_jvm: the approximate engine's
    # refusal to guess, tests/judge/test_not_judged.py).
    assert {kind for _, kind, _ in JAVA} | {"internal", "handshake", "socket_error", "unparseable", "no_certificate",
                                            "client_option", "no_sni", "needs_jvm"} \
        == set(get_args(TrustFailure)) | set(get_args(ConnectFailure))


def test_the_client_s_own_settings_are_its_to_change_never_an_import() -> None:
    """A handshake its https.* options ended, or a default certificate served for want of SNI: a local step naming
    the setting, whatever Java's words."""
    v = TrustVerdict("us2/acme", IP, False, "javax.net.ssl.SSLHandshakeException: No appropriate protocol (protocol is "
                    "disabled or cipher suites are inappropriate)", failure="client_option", chain_sent=False,
                    options="-Dhttps.protocols=TLSv1")
    action = r.verdict_action(v)
    assert action.kind == "local" and action.text.startswith("change or drop -Dhttps.protocols=TLSv1 in the client's")
    assert "the store is not the cause" in r.hint("client_option", HOST, options=v.options)
    v = TrustVerdict("us2/acme", IP, False, "PKIX path building failed: unable to find valid certification path",
                    failure="no_sni", served="CN=a248.e.akamai.net")
    assert r.verdict_action(v) == Action("local", r.SEND_SNI)
    assert "do not import anything" in r.hint("no_sni", HOST)


def test_a_handshake_without_a_certificate_is_the_provider_s_chain() -> None:
    """The probe says it (`chain_sent` False), not the words: the server had no key to sign with for this client."""
    v = TrustVerdict("us2/acme", IP, False, "javax.net.ssl.SSLHandshakeException: Received fatal alert: "
                    "handshake_failure", failure="no_certificate", chain_sent=False)
    assert r.verdict_action(v) == REJECTED


@pytest.mark.parametrize("kind", sorted(DNS))
def test_dns_kind_routes(kind: DnsFailure) -> None:
    assert r.dns_action(kind) == DNS[kind]
    st = StagingEvidence(HOST, problem="a sentence whatever its words: NXDOMAIN, no akamai edge hostname",
                         failure=kind)
    assert r.staging_action(st) == DNS[kind]


def test_staging_without_a_problem() -> None:
    """No staging address with no failure said (hand-made evidence) is "not on staging"; a production IP
    answered for the staging name is the resolver's override."""
    assert r.staging_action(StagingEvidence(HOST)) == DNS["no_answer"]
    shared = StagingEvidence(HOST, production_ips=(IP,), staging_ips=(IP,))
    assert r.staging_action(shared) == Action("local", r.CHECK_OVERRIDE)


@pytest.mark.parametrize("kind", sorted(FETCH))
def test_fetch_kind_routes(kind: FetchFailure) -> None:
    direct, proxied = FETCH[kind]
    error = "nothing a classifier could read: certification path, proxy, timed out"
    assert r.fetch_action([ChainFetch(IP, 443, HOST, error=error, failure=kind)]) == direct
    assert r.fetch_action([ChainFetch(IP, 443, HOST, error=error, via=VIA, failure=kind)]) == proxied
    approximate = TrustVerdict("us2/acme", IP, False, error, engine="python", via=VIA, failure=kind)
    assert r.verdict_action(approximate) == proxied


def test_several_fetch_failures_route_to_the_most_specific() -> None:
    """new_cert_staged names every staging address's error in one message: the proxy before the path, the
    path before the provider's chain, as the first matching words of the joined message did."""
    kinds: tuple[FetchFailure, ...] = ("not_tls", "reset", "proxy_forbidden")
    fetch = {kind: ChainFetch(IP, 443, HOST, error="x", failure=kind) for kind in kinds}
    assert r.fetch_action([fetch["not_tls"], fetch["reset"]]) == OPEN_PATH
    assert r.fetch_action(fetch.values()) == FIX_PROXY
    assert r.fetch_action([]) == REJECTED


@pytest.mark.parametrize(("reason", "kind", "action"), JAVA, ids=[f"{k}-{n}" for n, (_, k, _) in enumerate(JAVA)])
def test_the_jvm_s_reason_is_read_once_into_its_kind(reason: str, kind: VerdictFailure, action: Action) -> None:
    verdict = TrustVerdict("us2/acme", IP, False, reason)
    assert verdict.failure == failure_of(reason) == kind
    assert r.verdict_action(verdict) == action
    # The JVM's handshake through a proxy keeps its own route: only Python's fetch lays it at the proxy's door.
    assert r.verdict_action(TrustVerdict("us2/acme", IP, False, reason, via=VIA)) == action


def test_a_given_kind_wins_over_the_words() -> None:
    """Rewording a message cannot move a step between the provider and the network."""
    misleading = TrustVerdict("us2/acme", IP, False, "connection timed out, refused, reset", failure="no_trust_path")
    assert r.verdict_action(misleading) == Action(TRUST_PATH, r.SERVE_PATH)
    assert TrustVerdict("us2/acme", IP, True, "trusted: path building failed").failure is None


@pytest.mark.parametrize("kind", sorted(HINTS))
def test_hint_by_kind(kind: VerdictFailure) -> None:
    direct, proxied = HINTS[kind]
    for via, expected in ((None, direct), (VIA, proxied)):
        text = r.hint(kind, HOST, via)
        assert text.startswith(expected) and (text == "") == (expected == "")


@pytest.mark.parametrize(("kind", "detail", "failure"), [
    ("refused", "", "proxy_refused"), ("unreachable", "No route to host", "proxy_unreachable"),
    ("timeout", "", "proxy_timeout"), ("closed", "", "proxy_closed"), ("garbled", "it said 'SSH-2.0'", "proxy_garbled"),
    ("status", "HTTP/1.1 403 Forbidden\r\n", "proxy_forbidden"),
    ("status", "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=x\r\n", "proxy_auth"),
    ("status", "HTTP/1.1 502 Bad Gateway\r\n", "proxy_status"),
])
def test_a_proxy_s_answer_is_its_kind_for_the_fetch_and_the_jvm_alike(kind: str, detail: str,
                                                                       failure: ProxyFailure) -> None:
    assert proxy_failure(kind, detail) == failure
    paragraph = describe(VIA, f"{IP}:443", kind, detail, 5.0)
    assert failure_of(paragraph, kind, detail) == failure
    assert r.verdict_action(TrustVerdict("us2/acme", IP, False, paragraph, "proxy", via=VIA,
                                        failure=failure)) == FIX_PROXY
