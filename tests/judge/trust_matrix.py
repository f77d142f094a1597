"""PKI scenarios where Java and a web-PKI verifier may disagree, and what each JDK says.

Each case is a served chain, a truststore and the verdict expected from the JVM (per JDK major where
JDKs differ) and from cryptography's verifier (the no-JVM fallback). The certificates are made with
cryptography, served by the sandbox's TLS endpoints, and the stores are made by the real keytool.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID, ObjectIdentifier

from cutover.sandbox import pki
from cutover.sandbox.pki import DAY, NOW, Issued

HOST = "pod.fa.us2.oraclecloud.com"


@dataclass(frozen=True)
class Case:
    """One scenario.

    Attributes:
        name: the scenario's id.
        served: the chain the server sends, leaf first.
        store: alias -> certificate of the client's truststore.
        jvm: whether the JVM accepts; a dict {major: bool} where JDKs differ (key 0: any other).
        says: a fragment of the JVM's reason when it rejects.
        python: whether cryptography's verifier accepts.
        host: the hostname the client asks for.
        at: the instant to judge at (as ``--at`` gives it), None for now.
    """

    name: str
    served: tuple[Issued, ...]
    store: dict[str, Issued]
    jvm: bool | dict[int, bool]
    says: str = ""
    python: bool = True
    host: str = HOST
    why: str = field(default="", compare=False)
    at: dt.datetime | None = None

    def jvm_for(self, major: int) -> bool:
        if isinstance(self.jvm, bool):
            return self.jvm
        return self.jvm.get(major, self.jvm[0])


NO_PATH = "unable to find valid certification path"


def _certificates() -> SimpleNamespace:
    """Every certificate the cases use, by name; about a second, RSA keys included."""
    root = pki.make_root("Matrix Root")
    inter = pki.make_intermediate("Matrix Issuing CA", root)
    leaf = pki.make_leaf([HOST], inter)

    def leaf_by(issuer: Issued = inter, **kw: object) -> Issued:
        hosts = kw.pop("hosts", [HOST])
        return pki.make_leaf(hosts, issuer, **kw)  # type: ignore[arg-type]

    expired_root = pki.make_root("Matrix Old Root", NOW - 4000 * DAY, NOW - 10 * DAY)
    inter_under_expired = pki.make_intermediate("Matrix CA Under Old Root", expired_root,
                                                NOW - 100 * DAY, NOW + 365 * DAY)
    expired_leaf = leaf_by(not_before=NOW - 400 * DAY, not_after=NOW - DAY)
    rsa_root = pki.make_root("Matrix RSA Root", key="rsa2048")
    sha1_inter = sha1_intermediate("Matrix SHA-1 CA", rsa_root)
    rsa1024_inter = pki.make_intermediate("Matrix RSA-1024 CA", rsa_root, key="rsa1024")
    nc_excluded = pki.make_intermediate("Matrix Constrained CA", root, extra=[
        (x509.NameConstraints(permitted_subtrees=None, excluded_subtrees=[x509.DNSName("oraclecloud.com")]), True)])
    nc_permitted = pki.make_intermediate("Matrix Permitted CA", root, extra=[
        (x509.NameConstraints(permitted_subtrees=[x509.DNSName("fa.us2.oraclecloud.com")], excluded_subtrees=None),
         True)])
    nc_root = pki.make_root("Matrix Constrained Root", extra=[
        (x509.NameConstraints(permitted_subtrees=None, excluded_subtrees=[x509.DNSName("oraclecloud.com")]), True)])
    inter_under_nc_root = pki.make_intermediate("Matrix CA Under Constrained Root", nc_root)
    no_bc = pki.make_intermediate("Matrix CA Without BasicConstraints", root, basic_constraints=False)
    expired_inter = pki.make_intermediate("Matrix Expired CA", root, NOW - 900 * DAY, NOW - 2 * DAY)
    deep = pki.make_intermediate("Matrix Second-Level CA", inter)  # inter has pathLen 0
    self_signed = pki.make_root(HOST, org="Sandbox Cloud Provider")
    other_root = pki.make_root("Somebody Else's Root", org="Somebody Else")
    unknown_critical = (x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"), True)

    return SimpleNamespace(**{k: v for k, v in locals().items() if k != "kw"})


def build() -> list[Case]:
    """Make every certificate and case."""
    c = _certificates()
    r = {"root": c.root}
    return [
        Case("good", (c.leaf, c.inter), r, True, why="root in the store, intermediate served"),
        Case("leaf-without-san", (c.leaf_by(san=False), c.inter), r, True, python=False,
             why="Java falls back to the CN when there is no DNS SAN; RFC 6125 clients do not"),
        Case("expired-trust-anchor", (c.leaf_by(c.inter_under_expired), c.inter_under_expired), {"old": c.expired_root},
             True, python=False, why="Java does not check a trust anchor's dates"),
        Case("leaf-pinned-in-store", (c.leaf, c.inter), {"lb": c.leaf}, True, python=True,
             why="a trusted leaf is its own anchor in Java"),
        Case("expired-leaf-pinned", (c.expired_leaf, c.inter), {"lb": c.expired_leaf}, True, python=False,
             why="Java checks no date at all when the leaf itself is in the store"),
        Case("intermediate-only-anchor", (c.leaf, c.inter), {"inter": c.inter}, True,
             why="every certificate in the store is an anchor, an intermediate too"),
        Case("intermediate-anchor-server-omits-it", (c.leaf,), {"inter": c.inter}, True,
             why="the store's intermediate completes the chain the server left short"),
        Case("server-sends-root-too", (c.leaf, c.inter, c.root), r, True),
        Case("chain-out-of-order", (c.leaf, c.root, c.inter), r, True, why="Java rebuilds the path from what was sent"),
        Case("missing-intermediate", (c.leaf,), r, False, NO_PATH, python=False),
        Case("sha1-intermediate-private-root", (c.leaf_by(c.sha1_inter), c.sha1_inter), {"rsa": c.rsa_root}, True,
             python=False, why="SHA-1 is only disabled for chains to the JDK's own CAs (jdkCA)"),
        Case("rsa1024-intermediate-private-root", (c.leaf_by(c.rsa1024_inter), c.rsa1024_inter),
             {"rsa": c.rsa_root}, True, python=False, why="RSA keySize < 1024 is disabled, 1024 is not"),
        Case("wildcard-one-label", (c.leaf_by(hosts=["*.fa.us2.oraclecloud.com"]), c.inter), r, True),
        Case("wildcard-two-labels", (c.leaf_by(hosts=["*.us2.oraclecloud.com"]), c.inter), r, False,
             "No subject alternative DNS name matching", python=False),
        Case("name-constraints-on-intermediate-excluding", (c.leaf_by(c.nc_excluded), c.nc_excluded), r, False,
             "name constraints", python=False),
        Case("name-constraints-on-intermediate-permitting", (c.leaf_by(c.nc_permitted), c.nc_permitted), r, True),
        Case("name-constraints-on-anchor", (c.leaf_by(c.inter_under_nc_root), c.inter_under_nc_root), {"nc": c.nc_root},
             True, python=False, why="Java builds its TrustAnchors without name constraints"),
        Case("unknown-critical-extension", (c.leaf_by(extra=[c.unknown_critical]), c.inter), r, False,
             "unrecognized critical extension", python=False),
        Case("ca-without-basic-constraints", (c.leaf_by(c.no_bc), c.no_bc), r, False, "basic constraints",
             python=False),
        Case("clientauth-only-eku", (c.leaf_by(eku=[ExtendedKeyUsageOID.CLIENT_AUTH]), c.inter), r, False,
             "Extended key usage does not permit use for TLS server authentication", python=False),
        Case("leaf-not-yet-valid", (c.leaf_by(not_before=NOW + 10 * DAY, not_after=NOW + 400 * DAY), c.inter), r,
             False, "CertificateNotYetValidException", python=False),
        Case("leaf-expired", (c.expired_leaf, c.inter), r, False, "CertificateExpiredException", python=False),
        Case("intermediate-expired", (c.leaf_by(c.expired_inter), c.expired_inter), r, False,
             "CertificateExpiredException", python=False),
        Case("leaf-without-aki", (c.leaf_by(aki=False), c.inter), r, True, python=False,
             why="Java needs no authorityKeyIdentifier"),
        Case("hostname-mismatch", (c.leaf_by(hosts=["other.fa.us2.oraclecloud.com"]), c.inter), r, False,
             "No subject alternative DNS name matching", python=False),
        Case("self-signed-leaf", (c.self_signed,), r, False, NO_PATH, python=False),
        Case("self-signed-leaf-pinned", (c.self_signed,), {"lb": c.self_signed}, True, python=False,
             why="a pinned self-signed certificate is its own anchor in Java"),
        Case("store-holds-another-ca", (c.leaf, c.inter), {"other": c.other_root}, False, NO_PATH, python=False),
        Case("path-length-exceeded", (c.leaf_by(c.deep), c.deep, c.inter), r, False, "pathLenConstraint", python=False),
        *false_green_cases(c.root, c.inter),
    ]


def false_green_cases(root: Issued, inter: Issued) -> list[Case]:
    """Chains cryptography accepts and Java does not (issue 25): the approximate engine must reject them.

    An alternate path around a name constraint, instants a millisecond either side of a validity bound,
    and a host name that equals the certificate's only after IDNA folding.
    """
    r = {"root": root}
    # Two certificates named X with one key: X under the root, and X self-issued with a name constraint
    # excluding the host. Served leaf, X-constrained, X: in order to Java (each subject is the issuer
    # before it), so Java validates exactly that path; cryptography backtracks to leaf <- X <- root.
    free = pki.make_intermediate("Matrix Cross CA", root, path_length=None)
    excluded = x509.NameConstraints(permitted_subtrees=None, excluded_subtrees=[x509.DNSName("oraclecloud.com")])
    constrained = self_issued(free, [(excluded, True)])
    bound = NOW + 30 * DAY  # one leaf's notBefore and notAfter, judged a millisecond or five either side
    dated = pki.make_leaf([HOST], inter, NOW - DAY, bound)
    born = pki.make_leaf([HOST], inter, bound, bound + 365 * DAY)
    ms = dt.timedelta(milliseconds=1)
    ulabel, alabel = "bücher.fa.us2.oraclecloud.com", "xn--bcher-kva.fa.us2.oraclecloud.com"
    return [
        Case("name-constraints-on-alternate-path", (pki.make_leaf([HOST], free), constrained, free), r, False,
             "name constraints", python=False,
             why="Java validates the served chain, through the constrained CA; cryptography finds a path around it"),
        Case("leaf-notafter-minus-1ms", (dated, inter), r, True, at=bound - ms),
        Case("leaf-notafter-plus-1ms", (dated, inter), r, False, "CertificateExpiredException", python=False,
             at=bound + ms),
        Case("leaf-notafter-plus-5ms", (dated, inter), r, False, "CertificateExpiredException", python=False,
             at=bound + 5 * ms, why="cryptography compares whole seconds: T+5ms is T to it"),
        Case("leaf-notbefore-minus-1ms", (born, inter), r, False, "CertificateNotYetValidException", python=False,
             at=bound - ms),
        Case("leaf-notbefore-plus-1ms", (born, inter), r, True, at=bound + ms),
        Case("idn-host-punycode-san", (pki.make_leaf([alabel], inter), inter), r, True, python=False, host=ulabel,
             why="Java matches the SNI name first, which SNIHostName made the A-label; cryptography takes no U-label"),
        Case("punycode-host-utf8-san", (utf8_san_leaf(ulabel, inter), inter), r, False,
             "No subject alternative DNS name matching", python=False, host=alabel),
        # x509-limbo's other class: a UTF-8 CN (no SAN) against the punycode host. Java's IDN round trip makes
        # them equal; cryptography takes no CN at all, so the approximate engine is stricter, never looser.
        Case("punycode-host-utf8-cn", (pki.make_leaf([ulabel], inter, san=False), inter), r, True, python=False,
             host=alabel, why="Java matches the CN through IDN.toUnicode(IDN.toASCII(...)); cryptography takes no CN"),
        # Java 17 matches a wildcard in any label, Java 25 (and the approximate engine) in the leftmost only.
        Case("wildcard-not-leftmost", (pki.make_leaf(["pod.*.us2.oraclecloud.com"], inter), inter), r,
             {0: False, 17: True}, "No subject alternative DNS name matching", python=False,
             why="Java 17 matches a wildcard in any label; Java 25 and the engine only in the leftmost"),
    ]


def self_issued(ca: Issued, extra: pki.Extra) -> Issued:
    """`ca` again, issued by itself (same subject, same key) with `extra` extensions: a CA certificate any
    path through `ca`'s name may pick instead of `ca`."""
    key = ca.key
    builder = (x509.CertificateBuilder().subject_name(ca.cert.subject).issuer_name(ca.cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - DAY).not_valid_after(NOW + 365 * DAY)
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    for ext, critical in extra:
        builder = builder.add_extension(ext, critical=critical)
    return Issued(builder.sign(key, hashes.SHA256()), key)


def utf8_san_leaf(name: str, issuer: Issued) -> Issued:
    """A leaf whose DNS SAN holds `name` as raw UTF-8 bytes (cryptography's DNSName refuses a U-label, so
    the extension is written by hand: SEQUENCE { [2] name })."""
    raw = name.encode()
    der = bytes([0x30, len(raw) + 2, 0x82, len(raw)]) + raw
    san = x509.UnrecognizedExtension(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, der)
    return pki.make_leaf([name.encode("idna").decode()], issuer, san=False, extra=[(san, False)])


def sha1_intermediate(cn: str, issuer: Issued) -> Issued:
    """A CA certificate signed with SHA-1, which cryptography no longer signs: openssl x509 -req -sha1 does."""
    key = pki.new_key("rsa2048")
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
           .sign(key, hashes.SHA256()))
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / "req.pem").write_bytes(csr.public_bytes(serialization.Encoding.PEM))
        (folder / "ca.pem").write_bytes(issuer.pem)
        (folder / "ca.key").write_bytes(issuer.key_pem)
        (folder / "ext.cnf").write_text("basicConstraints=critical,CA:TRUE,pathlen:0\n"
                                        "keyUsage=critical,digitalSignature,keyCertSign,cRLSign\n"
                                        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
        subprocess.run(["openssl", "x509", "-req", "-sha1", "-in", "req.pem", "-CA", "ca.pem", "-CAkey", "ca.key",
                        "-set_serial", "4242", "-days", "365", "-extfile", "ext.cnf", "-out", "cert.pem"],
                       cwd=folder, check=True, capture_output=True, timeout=60)
        cert = x509.load_pem_x509_certificate((folder / "cert.pem").read_bytes())
    assert cert.signature_hash_algorithm is not None and cert.signature_hash_algorithm.name == "sha1"
    return Issued(cert, key)


def expiring(days: int) -> tuple[Issued, Issued, Issued]:
    """root, intermediate, and a leaf that expires `days` from now: for judging on a future date."""
    root = pki.make_root("Matrix Dated Root")
    inter = pki.make_intermediate("Matrix Dated CA", root)
    return root, inter, pki.make_leaf([HOST], inter, NOW - DAY, NOW + dt.timedelta(days=days))
