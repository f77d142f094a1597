"""What kind of rejection a judge's answer is: read once, here, where the JVM's (or cryptography's) words arrive.

The JVM says why it refused as an exception chain, class names included (`Probe.reason`); its
CertPathValidator reasons and exception classes are what the words below match. This is the one place
that reads a judge's text: everything after it (the fix plan, the hints) goes by the kind.
"""

from __future__ import annotations

from typing import Literal

from cutover.net.tls import FetchFailure
from cutover.net.tunnel import proxy_failure

#: Why a chain was not trusted: ``no_trust_path`` (no path to an anchor of the store), ``name_mismatch``
#: (the certificate does not name the host), ``expired``, ``not_yet_valid``, ``revocation_unknown`` (the
#: client checks revocation and its status could not be learnt), ``no_certificate`` (the TLS handshake
#: failed before the server sent any certificate: the JVM's trust manager was never asked), ``rejected``
#: (any other refusal), ``no_anchor`` (the store, as the client's JVM opens it, holds no trusted certificate at all:
#: an encrypted PKCS12 opened with no password, or an empty store);
#: ``proxy_error`` is a proxy the JVM itself was told to use (a SOCKS proxy in the client's options);
#: ``client_option`` (a handshake the client's own https.protocols / https.cipherSuites ended before any
#: certificate) and ``no_sni`` (a client that sends no SNI was served the edge's default certificate) are the
#: client's settings to fix, never its store; ``needs_jvm``: no JVM judged, and the client's settings (options
#: the approximate engine cannot apply, a jssecacerts) leave it not judged at all, never passed.
TrustFailure = Literal["no_anchor", "no_trust_path", "name_mismatch", "expired", "not_yet_valid", "revocation_unknown",
                       "no_certificate", "rejected", "proxy_error", "client_option", "no_sni", "needs_jvm"]
VerdictFailure = FetchFailure | TrustFailure

#: In the order they are tried: the first whose words are in the answer names its kind. Trust before
#: connection, since a chain of causes may say both ("validity check failed ... NotAfter").
_WORDS: tuple[tuple[VerdictFailure, tuple[str, ...]], ...] = (
    ("no_anchor", ("trustanchors parameter must be non-empty",)),
    ("no_trust_path", ("unable to find valid certification path", "path building failed")),
    ("name_mismatch", ("no subject alternative", "no name matching")),
    ("expired", ("certificateexpired", "notafter")),
    ("not_yet_valid", ("certificatenotyetvalid", "notbefore")),
    ("revocation_unknown", ("revocation status",)),
    ("proxy_error", ("proxy",)),
    ("timeout", ("timed out",)),
    ("refused", ("refused",)),
    ("unreachable", ("no route", "unreachable")),
    ("reset", ("reset",)),
    ("closed", ("terminated the handshake", "eof", "closed")),
    ("not_tls", ("unrecognized ssl message", "plaintext connection")),
)


def failure_of(reason: str, proxy_kind: str | None = None, proxy_detail: str = "") -> VerdictFailure:
    """The kind of a judge's refusal. `proxy_kind`: how Probe's own tunnel failed (`Probe.TunnelException`),
    which says it without words."""
    if proxy_kind:
        return proxy_failure(proxy_kind, proxy_detail)
    text = reason.lower()
    return next((kind for kind, words in _WORDS if any(w in text for w in words)), "rejected")
