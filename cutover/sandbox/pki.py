"""A small PKI for the simulated edge, made with cryptography.

EC P-256 keys throughout: generating dozens of leaves per run must take milliseconds, and every JDK
since 7 accepts ECDSA chains.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
#: The hashes cryptography signs with (it refuses SHA-1: the matrix's SHA-1 CA is made by openssl).
SigningHash = hashes.SHA224 | hashes.SHA256 | hashes.SHA384 | hashes.SHA512
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Issued:
    """A certificate with its key, so it can sign or be served."""

    cert: x509.Certificate
    key: PrivateKey

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


def new_key(spec: str = "ec") -> PrivateKey:
    """``ec`` (P-256, fast), ``rsa2048`` or ``rsa1024`` (what old private PKIs still have)."""
    if spec == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=int(spec.removeprefix("rsa")))


def _name(cn: str | None, org: str = "Sandbox Trust Services") -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "US"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)]
    if cn:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _builder(subject: x509.Name, issuer: x509.Name, key: PrivateKey,
             not_before: dt.datetime, not_after: dt.datetime) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


Extra = Sequence[tuple[x509.ExtensionType, bool]]


def _extend(builder: x509.CertificateBuilder, extra: Extra) -> x509.CertificateBuilder:
    for ext, critical in extra:
        builder = builder.add_extension(ext, critical=critical)
    return builder


def make_root(cn: str, not_before: dt.datetime = NOW - 365 * DAY, not_after: dt.datetime = NOW + 3650 * DAY,
              org: str = "Sandbox Trust Services", *, key: str = "ec",
              extra: Extra = ()) -> Issued:
    private = new_key(key)
    name = _name(cn, org)
    builder = (
        _builder(name, name, private, not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    )
    return Issued(_extend(builder, extra).sign(private, hashes.SHA256()), private)


def make_intermediate(cn: str, issuer: Issued, not_before: dt.datetime = NOW - 180 * DAY,
                      not_after: dt.datetime = NOW + 1825 * DAY, org: str = "Sandbox Trust Services", *,
                      key: str = "ec", hash_alg: SigningHash | None = None, basic_constraints: bool = True,
                      path_length: int | None = 0, extra: Extra = ()) -> Issued:
    private = new_key(key)
    builder = _builder(_name(cn, org), issuer.cert.subject, private, not_before, not_after)
    if basic_constraints:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
    builder = (
        builder
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    )
    return Issued(_extend(builder, extra).sign(issuer.key, hash_alg or hashes.SHA256()), private)


def make_leaf(hostnames: list[str], issuer: Issued, not_before: dt.datetime = NOW - DAY,
              not_after: dt.datetime = NOW + 397 * DAY, org: str = "Sandbox Cloud Provider", *,
              key: str = "ec", san: bool = True, aki: bool = True,
              eku: Sequence[x509.ObjectIdentifier] = (ExtendedKeyUsageOID.SERVER_AUTH,),
              extra: Extra = ()) -> Issued:
    """A server certificate; `san=False` leaves only the CN (which Java still matches, browsers do not)."""
    private = new_key(key)
    builder = (
        _builder(_name(hostnames[0], org), issuer.cert.subject, private, not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, key != "ec", False, False, False, False, False, False),
                       critical=True)
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hostnames]),
                                        critical=False)
    if aki:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                                        critical=False)
    return Issued(_extend(builder, extra).sign(issuer.key, hashes.SHA256()), private)


def malformed(issued: Issued) -> Issued:
    """The same certificate with a negative serial number (RFC 5280 forbids it) and so a broken signature.

    OpenSSL still loads and serves it; it is what a careless or hostile server might present.
    """
    import warnings

    der = bytearray(issued.cert.public_bytes(serialization.Encoding.DER))
    at = der.index(bytes([0xA0, 0x03, 0x02, 0x01, 0x02])) + 5  # after the version field: the serial INTEGER
    der[at + 2] |= 0x80
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cert = x509.load_der_x509_certificate(bytes(der))
    return Issued(cert, issued.key)
