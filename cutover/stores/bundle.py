"""The provider's certificate bundle for a data centre: root, intermediate, server certificate(s).

Certificates are classified by what they are, never by file name: providers rename files between
renewals ("DigiCertGlobalRootG2.crt", "root.cer", "1.pem"), but a self-signed CA stays a root.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from cutover.base.certs import CertInfo


class BundleError(Exception):
    """The bundle cannot be read or does not hold a linked root/intermediate pair.

    `not_a_bundle`: the file cannot be read or holds no certificate at all (a PDF, the wrong download): the
    user's input to fix, not a bundle of the provider's that does not link.
    """

    def __init__(self, message: str, *, not_a_bundle: bool = False) -> None:
        super().__init__(message)
        self.not_a_bundle = not_a_bundle


@dataclass(frozen=True)
class Bundle:
    """A classified bundle.

    Attributes:
        path: where it was read from.
        root: the self-signed CA.
        intermediates: CAs issued by another CA, root side first.
        servers: end-entity certificates (the load balancer's; never to be imported).
        files: for each certificate's SHA-256, the member or file it came from, for keytool -file.
    """

    path: Path
    root: CertInfo
    intermediates: tuple[CertInfo, ...]
    servers: tuple[CertInfo, ...]
    files: dict[str, str]

    @property
    def intermediate(self) -> CertInfo:
        """The issuing CA: the intermediate closest to the server certificate."""
        return self.intermediates[-1]


def _certs_in(data: bytes) -> list[x509.Certificate]:
    if b"-----BEGIN PKCS7-----" in data:
        return list(pkcs7.load_pem_pkcs7_certificates(data))
    if b"-----BEGIN CERTIFICATE-----" in data:
        return list(x509.load_pem_x509_certificates(data))
    for loader in (lambda d: [x509.load_der_x509_certificate(d)], pkcs7.load_der_pkcs7_certificates):
        try:
            return list(loader(data))
        except ValueError:
            continue
    return []


def _issued_by(child: CertInfo, issuer: CertInfo) -> bool:
    if "der" in (child.parsed_by, issuer.parsed_by):  # cryptography would warn on it, or refuse it
        return child.issuer == issuer.subject
    try:
        child.to_cert().verify_directly_issued_by(issuer.to_cert())
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _members(path: Path) -> list[tuple[str, bytes]]:
    if path.is_dir():
        return [(str(p), p.read_bytes()) for p in sorted(path.rglob("*")) if p.is_file()]
    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return [(f"{path}!{i.filename}", z.read(i)) for i in z.infolist()
                    if not i.is_dir() and i.file_size < 10_000_000]
    return [(str(path), data)]


def read(path: Path) -> Bundle:
    """Read and classify the bundle; raise BundleError naming the broken link when it does not chain."""
    try:
        members = _members(Path(path))
    except (OSError, zipfile.BadZipFile) as e:
        raise BundleError(f"bundle {path} cannot be read: {e}. Download the provider's zip again.",
                          not_a_bundle=True) from None
    certs: dict[str, CertInfo] = {}
    files: dict[str, str] = {}
    for name, data in members:
        try:
            found = _certs_in(data)
        except ValueError:
            found = []
        for c in found:
            info = CertInfo.from_der(c.public_bytes(Encoding.DER))  # never warns, whatever the serial
            certs.setdefault(info.sha256, info)
            files.setdefault(info.sha256, name)
    roots = [c for c in certs.values() if c.is_ca and c.self_signed]
    inters = [c for c in certs.values() if c.is_ca and not c.self_signed]
    servers = tuple(c for c in certs.values() if not c.is_ca)
    if not certs:
        raise BundleError(f"bundle {path} holds no certificate (PEM, DER or PKCS7). Is it the provider's bundle?",
                          not_a_bundle=True)
    if len(roots) != 1:
        raise BundleError(
            f"bundle {path} holds {len(roots)} root CAs (self-signed CA certificates); expected exactly one. "
            f"Found: {'; '.join(r.subject for r in roots) or 'none'}."
        )
    root = roots[0]
    # Order intermediates from the root downwards, so a two-level bundle reads root -> a -> b.
    # A link is a verified signature, not a matching name: last year's CA may share the name.
    ordered: list[CertInfo] = []
    issuer = root
    remaining = list(inters)
    while remaining:
        nxt = next((c for c in remaining if _issued_by(c, issuer)), None)
        if nxt is None:
            break
        ordered.append(nxt)
        remaining.remove(nxt)
        issuer = nxt
    if not inters:
        raise BundleError(f"bundle {path} holds no intermediate CA; expected the root, the intermediate "
                          "and the server certificate.")
    if remaining:
        bad = remaining[0]
        raise BundleError(
            f"bundle {path}: the chain does not link: intermediate {bad.subject} is not signed by the root "
            f"{root.subject}{' or another intermediate of the bundle' if ordered else ''} (its issuer is "
            f"{bad.issuer}). Download the provider's bundle again; it may mix two generations of CAs."
        )
    for s in servers:
        if not _issued_by(s, ordered[-1]):
            raise BundleError(
                f"bundle {path}: the chain does not link: server certificate {s.subject} is not signed by the "
                f"bundle's intermediate {ordered[-1].subject} (its issuer is {s.issuer})."
            )
    return Bundle(Path(path), root, tuple(ordered), servers, files)
