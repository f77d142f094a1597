"""The approximate verdict when no JVM can be found: pyca/cryptography's web-PKI verifier, then Java's rules.

It is stricter than Java on real cases (CN fallback, anchor dates, SHA-1 under a private root, name
constraints on anchors, missing AKI), so its verdict is always labelled approximate. It must never be
looser: where cryptography accepts a chain Java's known rules would refuse (an alternate path around a
name constraint, a fraction of a second past a notAfter, a host name equal only after IDNA folding), the
rules of `cutover.judge.rules` reject it and say why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from cryptography.x509 import verification as v

from cutover.base.certs import CertInfo
from cutover.base.instants import format_instant
from cutover.config import Client, Target
from cutover.config.jsse import DECISIVE, TRUST_STORE
from cutover.judge import rules
from cutover.judge.wire import TrustVerdict
from cutover.net.tls import ChainFetch
from cutover.net.tunnel import PROXY_FAILURES
from cutover.stores.truststore import StoreContents

APPROXIMATE = "approximate: no JVM"
#: How a reject of Java's rules begins: cryptography said yes, and the approximate engine says no.
#: How a verdict begins when cryptography could not judge at all (a certificate it cannot parse).
CANNOT_JUDGE = "cryptography cannot judge this chain"
#: How a verdict begins that no engine gave: the client's settings need its own JVM.
NEEDS_JVM = "needs the client's JVM because"
#: Options under `DECISIVE` whose effect the approximate engine applies (the store, read as JSSE reads it) or that
#: cannot change which chain is presented or how it is judged (where a connection goes).
APPLIED = frozenset({TRUST_STORE, "https.proxyHost", "https.proxyPort", "javax.net.debug"})
STRICTER = "approximate verdict, stricter than cryptography's: it accepts, but Java would not or may not:"


def verify(
    target_id: str,
    ip: str,
    chain: Sequence[CertInfo],
    hostname: str,
    anchors: Sequence[CertInfo],
    at: dt.datetime | None = None,
    *,
    aliases: Mapping[str, str] | None = None,
) -> TrustVerdict:
    """Judge `chain` for `hostname` against `anchors` (the store's trusted certificates, those cryptography
    cannot parse included, so they can be named) as a strict web-PKI client would, then by Java's rules.
    `aliases`: SHA-256 -> the store's alias, to name a certificate."""
    def no(reason: str) -> TrustVerdict:
        return TrustVerdict(target_id, ip, False, reason, engine="python")

    if not chain:
        return no("no chain was presented")
    refused = [c for c in chain if c.parsed_by != "cryptography"]
    if refused:  # handing it to cryptography would warn, and a future release refuses it outright
        return no(f"{CANNOT_JUDGE}: {refused[0].name} is malformed (serial "
                  f"{refused[0].serial}); only a JVM can say whether Java accepts it")
    readable = [a for a in anchors if a.parsed_by == "cryptography"]
    unreadable = unreadable_anchors(anchors, aliases or {})
    if not readable:
        if unreadable:
            return no(f"{CANNOT_JUDGE}: {unreadable}; only a JVM can say whether Java "
                      "accepts it")
        return no("the truststore holds no trusted certificate")
    if not hostname.isascii():
        return no(f"{STRICTER} {hostname} is not an ASCII name, and Java compares host names byte for byte with "
                  "the certificate's, with no IDNA folding (cryptography cannot compare it at all)")
    when = at or dt.datetime.now(dt.UTC)
    also = f" (the store also holds {unreadable}: it may be the anchor Java would use)" if unreadable else ""
    try:
        verifier = (
            v.PolicyBuilder()
            .store(v.Store([a.to_cert() for a in readable]))
            .time(when)
            .build_server_verifier(v.DNSName(hostname))
        )
        path = verifier.verify(chain[0].to_cert(), [c.to_cert() for c in chain[1:]])
    except v.VerificationError as e:
        return no(f"cryptography: {e}{also}")
    except ValueError as e:
        return no(f"{CANNOT_JUDGE}: {e}")
    why = (rules.exact_validity(path, when) or rules.java_host(path[0], hostname)
           or rules.name_constraints(chain, anchors, hostname))
    if why:
        return no(f"{STRICTER} {why}")
    return TrustVerdict(target_id, ip, True, f"trusted by cryptography's web-PKI verifier for {hostname}",
                       engine="python")


def unreadable_anchors(anchors: Sequence[CertInfo], aliases: Mapping[str, str]) -> str:
    """The store's certificates cryptography cannot parse, named as a person finds them (alias, SHA-256);
    empty when there are none. Java reads them: to the client they are trust anchors like any other."""
    named = [(f"alias {aliases[c.sha256]!r} " if c.sha256 in aliases else "") + f"({c.name}, SHA-256 {c.sha256})"
             for c in anchors if c.parsed_by != "cryptography"]
    if not named:
        return ""
    return f"the store's certificate {'; '.join(named)}: Java reads it, cryptography cannot"


Anchors = tuple[list[CertInfo], dict[str, str]]


def anchors(store: StoreContents | None) -> Anchors:
    """The store's trusted certificates, those cryptography cannot parse too (the approximate engine names
    them rather than say the store holds none), and their aliases by SHA-256."""
    entries = [e for e in (store.trusted if store else ()) if e.cert is not None]
    return [e.cert for e in entries if e.cert is not None], {e.cert.sha256: e.alias for e in entries if e.cert}


def unmodelled(client: Client, jssecacerts: bool) -> str | None:
    """Why the approximate engine must not judge `client` at all (`NEEDS_JVM` ...), None when it may.

    Its java_options that change a handshake or a trust decision and that it cannot apply (https.* for a stack that
    applies them, security properties, jdk.tls.*, revocation, SNI, the store's type or provider) would make a pass a
    guess; and where the JDK's jssecacerts is the store, only that JDK's JVM shows which file it reads."""
    props = [o[2:].partition("=")[0] for o in client.java_options if o.startswith(DECISIVE)]
    # A stack that ignores https.* (java.net.http, OkHttp, Netty) is judged as if they were not there.
    ignored = set() if client.https_options else {p for p in props if p.startswith("https.")}
    cannot = [p for p in dict.fromkeys(props) if p not in APPLIED and p not in ignored]
    if cannot:
        return (f"{NEEDS_JVM} its java_options set {', '.join('-D' + p for p in cannot)}, which change what its JVM "
                "decides and which the approximate engine cannot apply: it gives no verdict rather than a guess")
    if jssecacerts:
        return (f"{NEEDS_JVM} its store is its JDK's jssecacerts, which JSSE reads instead of cacerts: only that JDK's "
                "JVM shows which file it reads and what it holds")
    return None


def judge_fetch(t: Target, fetch: ChainFetch, trusted: Anchors, at: dt.datetime | None,
                unjudged: str | None = None) -> TrustVerdict:
    """The approximate engine's verdict on what Python fetched from one address: a failed fetch is a failed
    handshake (or the proxy's), anything fetched is verified against the store's anchors. `unjudged`: why the
    client is not judged at all (`unmodelled`): a failure that says so, whatever was fetched."""
    if unjudged is not None:
        return TrustVerdict(t.id, fetch.ip, False, unjudged, "not judged", engine="python", failure="needs_jvm")
    if fetch.error is not None:
        step = "proxy" if fetch.via and fetch.failure in PROXY_FAILURES else "TLS handshake"
        return TrustVerdict(t.id, fetch.ip, False, fetch.error, step, engine="python", via=fetch.via,
                           failure=fetch.failure or "internal")
    when = format_instant(at) if at else "now"
    verdict = verify(t.id, fetch.ip, fetch.chain, t.hostname, trusted[0], at, aliases=trusted[1])
    return TrustVerdict(verdict.target_id, verdict.ip, verdict.ok, verdict.reason, engine="python", when=when,
                       via=fetch.via)
