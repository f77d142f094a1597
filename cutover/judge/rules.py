"""Java's known rules that cryptography's verifier does not apply: checked after cryptography accepts.

The approximate engine must never be looser than the client's JVM (a green where Java says no is the one
answer this suite may not give). cryptography accepts three kinds of chains Java rejects, and each rule
below turns such an accept into a reject that says it is approximate and why:

- an alternate path: cryptography's path builder backtracks to any path that validates, while Java
  validates the chain as served when it is in order (`PKIXValidator` takes no second path), so a name
  constraint of any CA certificate the verifier might pick is checked here, on every such certificate;
- instants: cryptography compares validity at whole seconds (a leaf expiring at T is still valid at
  T+5ms for it); Java compares milliseconds;
- host names: Java's HostnameChecker has rules of its own (a wildcard in the leftmost label only, never over a
  public suffix, a U-label in a DNS name never matching), ported in `cutover.judge.hostname` and checked here
  on the leaf cryptography accepted.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence

from cryptography import x509

from cutover.base.certs import CertInfo
from cutover.base.instants import format_instant
from cutover.judge import hostname as hostname_checker


def exact_validity(path: Sequence[x509.Certificate], at: dt.datetime) -> str | None:
    """Why a certificate of the path cryptography built is not valid at `at`, to the microsecond; None if all
    are. The last certificate is the store's anchor, whose dates Java does not check; a leaf pinned in the
    store (a path of one) has none checked either."""
    for cert in path[:-1]:
        if at > cert.not_valid_after_utc:
            return (f"{cert.subject.rfc4514_string()} is not valid at {_iso(at)}: its notAfter is "
                    f"{_iso(cert.not_valid_after_utc)} (CertificateExpiredException in Java, which compares "
                    "milliseconds; cryptography compares whole seconds)")
        if at < cert.not_valid_before_utc:
            return (f"{cert.subject.rfc4514_string()} is not valid yet at {_iso(at)}: its notBefore is "
                    f"{_iso(cert.not_valid_before_utc)} (CertificateNotYetValidException in Java, which compares "
                    "milliseconds; cryptography compares whole seconds)")
    return None


def java_host(leaf: x509.Certificate, hostname: str) -> str | None:
    """Why Java's HostnameChecker (`cutover.judge.hostname`) would not match `hostname` to the leaf; None if it would.
    Wildcards over a public suffix are refused as for a chain to one of the JDK's own CAs: whose CA anchors the
    chain is not known here, and the stricter answer is the safe one."""
    why = hostname_checker.mismatch(leaf, hostname, public_ca=True)
    if why is None:
        return None
    return f"Java's host name check would refuse the leaf for {hostname}: {why}"


def name_constraints(chain: Sequence[CertInfo], store: Sequence[CertInfo], hostname: str) -> str | None:
    """Why a name constraint of a CA certificate that could issue the leaf (or its issuers) forbids the leaf's
    names; None if none does.

    Conservative: every served intermediate and every store certificate that is not self-signed is a
    candidate when its subject is the issuer of the leaf or of another candidate (by name alone, so any
    certificate Java's path builder might try is among them). Self-signed store certificates are trust
    anchors, whose name constraints Java ignores. A constraint on names this module cannot evaluate
    (directory names, e-mail, URIs) counts as forbidding."""
    leaf = chain[0].to_cert()
    dns = {hostname.lower(), *(n.lower() for n in _dns_sans(leaf))}
    ips = _ip_sans(leaf)
    pool = [*chain[1:], *(c for c in store if not c.self_signed)]
    wanted, seen = {chain[0].issuer}, set()
    grew = True
    while grew:
        grew = False
        for ca in pool:
            if ca.sha256 in seen or ca.subject not in wanted:
                continue
            seen.add(ca.sha256)
            grew = True
            wanted.add(ca.issuer)
            why = _forbids(ca, dns, ips)
            if why:
                return (f"a name constraint of {ca.name} (SHA-256 {ca.sha256[:16]}...), a CA certificate Java may "
                        f"validate the chain through, {why}; cryptography found another path, Java may not")
    return None


def _forbids(ca: CertInfo, dns: set[str], ips: set[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> str | None:
    if ca.parsed_by != "cryptography":
        return "cannot be read: cryptography cannot parse the certificate"
    try:
        nc = ca.to_cert().extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return None
    permitted, excluded = list(nc.permitted_subtrees or ()), list(nc.excluded_subtrees or ())
    other = {type(s).__name__ for s in (*permitted, *excluded) if not isinstance(s, x509.DNSName | x509.IPAddress)}
    if other:
        return f"on {', '.join(sorted(other))} names cannot be checked here"
    for kind, names in ((x509.DNSName, dns), (x509.IPAddress, ips)):
        allowed = [s for s in permitted if isinstance(s, kind)]
        for name in sorted(names, key=str):
            if allowed and not any(_within(name, s) for s in allowed):
                return f"does not permit {name}"
            if any(_within(name, s) for s in excluded if isinstance(s, kind)):
                return f"excludes {name}"
    return None


def _within(name: object, subtree: x509.GeneralName) -> bool:
    """RFC 5280 subtree membership: ``example.com`` holds itself and its subdomains, ``.example.com`` only
    its subdomains; an IP subtree is a network."""
    if isinstance(subtree, x509.IPAddress):
        return isinstance(subtree.value, ipaddress.IPv4Network | ipaddress.IPv6Network) and \
            isinstance(name, ipaddress.IPv4Address | ipaddress.IPv6Address) and name in subtree.value
    if not isinstance(name, str):
        return False
    base = str(subtree.value).lower()
    if not base:
        return True
    if base.startswith("."):
        return name.endswith(base)
    return name == base or name.endswith("." + base)


def _dns_sans(cert: x509.Certificate) -> list[str]:
    try:
        return list(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                    .get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        return []


def _ip_sans(cert: x509.Certificate) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        values = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value \
            .get_values_for_type(x509.IPAddress)
        return {a for a in values if isinstance(a, ipaddress.IPv4Address | ipaddress.IPv6Address)}
    except x509.ExtensionNotFound:
        return set()


def _iso(when: dt.datetime) -> str:
    return format_instant(when)
