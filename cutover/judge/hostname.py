"""Java's host name check (``sun.security.util.HostnameChecker``, type TLS), ported for the approximate engine.

Without a JVM, cryptography's verifier decides the path and then this decides the name, as the client's JVM does
once its trust manager has a path: the approximate engine accepts only what both accept. The port follows the
JDK's rules, not RFC 6125's (tests/judge/test_hostname_checker.py runs the real JDKs on the same pairs):

- an IP address (IPv4 in any of the forms Java reads, IPv6) is matched against the IP addresses of the
  subjectAltName only, by value; never against a CN;
- a host name must itself be a valid name (LDH labels, no trailing dot: ``SNIHostName``'s check); it is matched
  against the DNS names of the subjectAltName when there is at least one, else against the subject's most
  specific CN (the last one), which must be NFKC-normalized;
- both sides go through the IDN round trip (``IDN.toUnicode(IDN.toASCII(x))``, IDNA 2003, as Python's ``idna``
  codec is), so an A-label host and its U-label name are equal; then compared without case;
- a wildcard: never ``*`` or ``*.`` alone, only in the leftmost label (JDK 25 rejects ``pod.*.example.com``,
  JDK 17 matches it: the stricter rule is taken), a partial one (``p*d``) matching within that label, never over
  a public suffix of the ICANN section (``*.co.uk``), which Java checks for chains to its own CAs: the approximate
  engine cannot tell whose CA anchors a chain, so it always checks (the Public Suffix List of `publicsuffixlist`,
  where Java reads its own copy: a suffix one list has and the other lacks may differ).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from functools import cache

from cryptography import x509
from cryptography.x509.oid import NameOID

_LDH = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$", re.IGNORECASE)
_DOTS = re.compile("[.\u3002\uff0e\uff61]")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def mismatch(cert: x509.Certificate, host: str, *, public_ca: bool = True) -> str | None:
    """Why Java's HostnameChecker (TLS) would not match `host` to `cert`, in its own words; None when it would.
    `public_ca`: apply the public-suffix rule to wildcards (Java does for chains to the JDK's own CAs)."""
    ip = ip_literal(host)
    if ip is not None:
        return _mismatch_ip(cert, host, ip)
    if not valid_name(host):
        return f"Illegal given domain name: {host}"
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = sans.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        dns = []
    except ValueError:  # a subjectAltName cryptography cannot read: Java may read it otherwise, never match on it
        return f"the subjectAltName cannot be read, so no name matching {host} can be trusted"
    if dns:
        # A dNSName is an IA5String: Java reads no UTF-8 in it (a U-label there never matches), cryptography does.
        if any(name.isascii() and matches(host, name, public_ca=public_ca) for name in dns):
            return None
        return f"No subject alternative DNS name matching {host} found."
    cn = _most_specific_cn(cert)
    if cn is not None:
        if not unicodedata.is_normalized("NFKC", cn):
            return f"Not a formal name {cn}"
        if matches(host, cn, public_ca=public_ca):
            return None
    return f"No name matching {host} found"


def matches(name: str, template: str, *, public_ca: bool = True) -> bool:
    """HostnameChecker.isMatched: `name` against one certificate name `template`, wildcards included."""
    try:
        name, template = _round_trip(name), _round_trip(template)
    except UnicodeError:
        return False
    if _illegal_wildcard(template, public_ca) or not valid_name(template.replace("*", "z")):
        return False
    return _leftmost(name.lower(), template.lower()) and _every_label(name.lower(), template.lower())


def valid_name(name: str) -> bool:
    """``new SNIHostName(name)`` succeeds: IDN.toASCII with the STD3 rules, not empty, no trailing dot."""
    if not name or name.endswith(".") or _DOTS.search(name[-1:]):
        return False
    try:
        labels = [_to_ascii(label) for label in _DOTS.split(name)]
    except UnicodeError:
        return False
    return all(_LDH.match(label) for label in labels)


def ip_literal(host: str) -> IPAddress | None:
    """The address when Java takes `host` for an IP literal (IPv4 in its legacy forms too, ``1.2.3``), else None."""
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if re.fullmatch(r"[0-9.]+", text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    try:
        return ipaddress.IPv6Address(text.partition("%")[0]) if ":" in text else None
    except ValueError:
        return None


def _mismatch_ip(cert: x509.Certificate, host: str, ip: IPAddress) -> str | None:
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return "No subject alternative names present"
    except ValueError:
        return f"the subjectAltName cannot be read, so no name matching IP address {host} can be trusted"
    if ip in sans.get_values_for_type(x509.IPAddress):
        return None
    return f"No subject alternative names matching IP address {host} found"


def _most_specific_cn(cert: x509.Certificate) -> str | None:
    """The subject's CN Java compares: the last one in the subject's order (X500Name.findMostSpecificAttribute)."""
    try:
        cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        return None
    value = cns[-1].value if cns else None
    return value if isinstance(value, str) else None


def _to_ascii(label: str) -> str:
    """IDN.toASCII of one label (IDNA 2003 ToASCII, no STD3 rules): the label as is when it is ASCII."""
    if label.isascii():
        if len(label) > 63:
            raise UnicodeError("label too long")
        return label
    return label.encode("idna").decode("ascii")


def _to_unicode(label: str) -> str:
    """IDN.toUnicode of one label: the label itself wherever it does not decode and round-trip. Java takes the ACE
    prefix and punycode in any case (``XN--BCHER-KVA``); Python's codec only in lower case, and the names are
    compared without case anyway."""
    try:
        return label.lower().encode("ascii").decode("idna") if label.lower().startswith("xn--") else label
    except UnicodeError:
        return label


def _round_trip(name: str) -> str:
    """IDN.toUnicode(IDN.toASCII(name)), label by label, rejoined with ``.`` as Java rejoins them."""
    return ".".join(_to_unicode(_to_ascii(label)) if label else label for label in _DOTS.split(name))


def _illegal_wildcard(template: str, public_ca: bool) -> bool:
    if template in ("*", "*."):
        return True
    last = template.rfind("*")
    if last == -1:
        return False
    after = template[last:]
    if "." not in after:
        return True
    return public_ca and _is_public_suffix(after[after.index(".") + 1:].lower())


@cache
def _public_suffixes() -> object:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(only_icann=True)


def _is_public_suffix(domain: str) -> bool:
    """Java's test: the ICANN public suffix of ``z.<domain>`` is `domain` itself."""
    psl = _public_suffixes()
    return bool(domain) and psl.publicsuffix(f"z.{domain}") == domain  # type: ignore[attr-defined]


def _wildcard_label(name: str, template: str) -> bool:
    """HostnameChecker.matchWildCards on one label: each literal piece in order, the first at the start, the last
    at the end."""
    pieces = template.split("*")
    if len(pieces) == 1:
        return name == template
    head, *middle, tail = pieces
    if not name.startswith(head):
        return False
    rest = name[len(head):]
    for piece in middle:
        at = rest.find(piece)
        if at == -1:
            return False
        rest = rest[at + len(piece):]
    return rest.endswith(tail)


def _leftmost(name: str, template: str) -> bool:
    """JDK 25's rule (matchLeftmostWildcard): a wildcard only in the first label, the rest equal as written."""
    n, t = name.find("."), template.find(".")
    n, t = (len(name) if n == -1 else n), (len(template) if t == -1 else t)
    return _wildcard_label(name[:n], template[:t]) and template[t:] == name[n:]


def _every_label(name: str, template: str) -> bool:
    """JDK 17's rule (matchAllWildcards), kept beside JDK 25's so that a name matches only where both match."""
    names, templates = [p for p in name.split(".") if p], [p for p in template.split(".") if p]
    return len(names) == len(templates) and all(_wildcard_label(a, b) for a, b in zip(names, templates, strict=True))
