"""A certificate as the gates and the report talk about it: a few facts, and the DER they came from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from cutover.base.digest import sha256_hex
from cutover.base.text import printable, shorten


@dataclass(frozen=True)
class CertInfo:
    """What we show of a certificate; `sha256` is its identity everywhere in the suite.

    Attributes:
        der: the certificate's DER encoding.
        sha256: upper-case hex SHA-256 of `der`, as ``keytool -list -v`` prints it (without colons).
        subject: RFC 4514 subject.
        issuer: RFC 4514 issuer.
        serial: serial number in hex.
        not_before: start of validity, UTC.
        not_after: end of validity, UTC.
        sans: DNS names of the subjectAltName extension.
        is_ca: basicConstraints CA=true. A certificate without that flag is an end-entity (leaf).
        common_name: the subject CN, which Java still matches when a leaf has no DNS SAN.
        parsed_by: ``cryptography``, or ``der`` for a certificate cryptography refuses or only half
            accepts (a negative serial number, as in a root of the JDK's own cacerts): Java accepts it,
            so it is listed and judged from its DER, and never handed to cryptography again.
    """

    der: bytes
    sha256: str
    subject: str
    issuer: str
    serial: str
    not_before: dt.datetime
    not_after: dt.datetime
    sans: tuple[str, ...]
    is_ca: bool
    common_name: str | None
    parsed_by: str = "cryptography"

    @classmethod
    def from_der(cls, der: bytes) -> CertInfo:
        """cryptography warns, lazily, at each use of a certificate whose serial is not positive, and a
        future release refuses it; warnings.catch_warnings is not thread-safe. So such a certificate
        (and any cryptography refuses) is read from its DER instead: no warning is ever raised."""
        if not _positive_serial(der):
            return _from_asn1(der)
        try:
            cert = x509.load_der_x509_certificate(der)
            return cls.from_cert(cert)
        except ValueError:
            return _from_asn1(der)

    @classmethod
    def from_cert(cls, cert: x509.Certificate) -> CertInfo:
        from cryptography.hazmat.primitives.serialization import Encoding

        der = cert.public_bytes(Encoding.DER)
        try:
            sans = tuple(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
                         .value.get_values_for_type(x509.DNSName))
        except x509.ExtensionNotFound:
            sans = ()
        try:
            is_ca = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
        except x509.ExtensionNotFound:
            is_ca = False
        cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        cn = cns[0].value if cns else None
        return cls(
            der=der,
            sha256=sha256_hex(der),
            # Names are written by whoever made the certificate: control characters (a terminal
            # escape, say) are kept as visible escapes, never passed on to a terminal or a log.
            subject=printable(cert.subject.rfc4514_string(), 100_000),
            issuer=printable(cert.issuer.rfc4514_string(), 100_000),
            serial=format(cert.serial_number, "X"),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            sans=tuple(printable(n, 100_000) for n in sans),
            is_ca=is_ca,
            common_name=printable(cn, 100_000) if isinstance(cn, str) else None,
        )

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer

    @property
    def name(self) -> str:
        """The subject for a message: at most 200 characters (a subject may hold ten thousand)."""
        return shorten(self.subject, 200)

    @property
    def issuer_name(self) -> str:
        return shorten(self.issuer, 200)

    @property
    def short(self) -> str:
        """One line a person recognises: subject, not-after and the start of the fingerprint."""
        return f"{self.name} (expires {self.not_after:%Y-%m-%d}, SHA-256 {self.sha256[:16]}...)"

    def to_json(self) -> dict[str, object]:
        """The fields the JSON outputs (evidence file, CLI) carry: one shape everywhere."""
        return {"subject": self.subject, "issuer": self.issuer, "serial": self.serial, "sha256": self.sha256,
                "not_before": self.not_before.isoformat(), "not_after": self.not_after.isoformat(),
                "sans": list(self.sans), "ca": self.is_ca}

    def covers(self, hostname: str) -> bool:
        """Whether this certificate names `hostname`, by SAN or, as Java falls back to, by CN."""
        names = self.sans or ((self.common_name,) if self.common_name else ())
        return any(name_matches(n, hostname) for n in names)

    def to_cert(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.der)


def name_matches(pattern: str, hostname: str) -> bool:
    """RFC 6125 matching: a wildcard stands for exactly one whole left-most label."""
    p, h = pattern.lower().rstrip("."), hostname.lower().rstrip(".")
    if p.startswith("*."):
        head, _, rest = h.partition(".")
        return bool(head) and rest == p[2:]
    return p == h


def _positive_serial(der: bytes) -> bool:
    """Whether the serial number (Certificate > TBSCertificate > [0] version? > INTEGER) is positive."""
    def header(at: int) -> tuple[int, int, int]:  # tag, start of content, length
        tag, first = der[at], der[at + 1]
        if first < 0x80:
            return tag, at + 2, first
        n = first & 0x7F
        return tag, at + 2 + n, int.from_bytes(der[at + 2:at + 2 + n], "big")

    try:
        _, tbs, _ = header(0)
        _, at, _ = header(tbs)
        tag, content, length = header(at)
        if tag == 0xA0:  # explicit version
            tag, content, length = header(content + length)
        if tag != 0x02 or length == 0:
            return False
        value = der[content:content + length]
        return not value[0] & 0x80 and any(value)
    except IndexError:
        return False


def _from_asn1(der: bytes) -> CertInfo:
    """The facts of a certificate read with pyasn1 (pyjks's own dependency), never with cryptography."""
    from pyasn1.codec.der import decoder
    from pyasn1_modules import rfc5280

    cert, _ = decoder.decode(der, asn1Spec=rfc5280.Certificate())
    tbs = cert["tbsCertificate"]
    sans, is_ca = _asn1_extensions(tbs)
    subject, issuer = _asn1_name(tbs["subject"]), _asn1_name(tbs["issuer"])
    cns = subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    cn = cns[0].value if cns else None
    serial = int(tbs["serialNumber"])
    return CertInfo(
        der=der,
        sha256=sha256_hex(der),
        subject=printable(subject.rfc4514_string(), 100_000),
        issuer=printable(issuer.rfc4514_string(), 100_000),
        serial=("-" if serial < 0 else "") + format(abs(serial), "X"),
        not_before=_asn1_time(tbs["validity"]["notBefore"]),
        not_after=_asn1_time(tbs["validity"]["notAfter"]),
        sans=tuple(printable(n, 100_000) for n in sans),
        is_ca=is_ca,
        common_name=printable(cn, 100_000) if isinstance(cn, str) else None,
        parsed_by="der",
    )


# pyasn1 ships no types: its decoded values are Any here, as they are to pyasn1 itself.
def _asn1_name(n: Any) -> x509.Name:
    """A pyasn1 Name as cryptography's, keeping values cryptography's own rules would refuse."""
    from pyasn1.codec.der import decoder

    rdns = []
    for rdn in n[0]:
        attrs = []
        for atv in rdn:
            oid = x509.ObjectIdentifier(str(atv["type"]))
            raw = atv["value"]
            try:
                inner, _ = decoder.decode(raw)
                value = str(inner)
            except Exception:
                value = bytes(raw).hex()
            try:
                attrs.append(x509.NameAttribute(oid, value))
            except ValueError:  # a value cryptography's rules refuse (a country code of 3 letters, say)
                attrs.append(x509.NameAttribute(x509.ObjectIdentifier("2.5.4.3"), value))
        rdns.append(x509.RelativeDistinguishedName(attrs))
    return x509.Name(rdns)


def _asn1_time(t: Any) -> dt.datetime:
    when: dt.datetime = t.getComponent().asDateTime
    return when.astimezone(dt.UTC)


def _asn1_extensions(tbs: Any) -> tuple[list[str], bool]:
    """The DNS SANs and basicConstraints CA flag; an extension pyasn1 cannot decode is skipped, not fatal."""
    from pyasn1.codec.der import decoder
    from pyasn1_modules import rfc5280

    sans: list[str] = []
    is_ca = False
    for ext in tbs["extensions"] if tbs["extensions"].isValue else ():
        oid = str(ext["extnID"])
        try:
            if oid == "2.5.29.17":
                value, _ = decoder.decode(ext["extnValue"], asn1Spec=rfc5280.SubjectAltName())
                sans += [str(g["dNSName"]) for g in value if g.getName() == "dNSName"]
            elif oid == "2.5.29.19":
                value, _ = decoder.decode(ext["extnValue"], asn1Spec=rfc5280.BasicConstraints())
                is_ca = bool(value["cA"])
        except Exception:
            continue
    return sans, is_ca
