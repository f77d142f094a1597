"""cutover.judge.hostname against the JDK's own HostnameChecker, on the same (host, certificate) pairs.

The approximate engine's name check is a port of Java's: the e2e test runs each JDK under /usr/lib/jvm
(tests/judge/NameCheck.java calls sun.security.util.HostnameChecker, type TLS) on every pair below and compares.
Never looser: where the port matches, every JDK matches. Exact: where the newest JDK matches, the port does too,
but for the public-suffix rule, which Java applies only to chains to its own CAs (the port always applies it).
The unit tests pin the rules the port was written for, without a JVM.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID, NameOID

from cutover.judge import hostname
from cutover.judge.java import java_version

HOST = "pod.fa.us2.oraclecloud.com"
ULABEL, ALABEL = "bücher.fa.us2.oraclecloud.com", "xn--bcher-kva.fa.us2.oraclecloud.com"
CHECKER = Path(__file__).with_name("NameCheck.java")
_KEY = ec.generate_private_key(ec.SECP256R1())
#: Every JDK home under /usr/lib/jvm (each real one once), as the trust matrix finds them.
JDKS = list({p.resolve(): p.parent.parent for p in sorted(Path("/usr/lib/jvm").glob("*/bin/javac"))}.values())


def major(jdk: Path) -> int:
    version = java_version(jdk / "bin" / "java") or "0"
    return int(version.split(".")[1] if version.startswith("1.") else version.split(".")[0])


@dataclass(frozen=True)
class Pair:
    """A host and the names of a certificate.

    Attributes:
        id: the case's id.
        host: the name the client asks for.
        cns: the subject's CNs in DER order (Java compares the last one).
        dns: the DNS names of the subjectAltName, written as raw bytes (a U-label too, which Java refuses to read).
        ips: the IP addresses of the subjectAltName.
        public: Java's chainsToPublicCA (the wildcard public-suffix rule).
        java: whether the port matches (what the newest JDK says; None: not stated, the JVM decides).
    """

    id: str
    host: str
    cns: tuple[str, ...] = ()
    dns: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    public: bool = False
    java: bool | None = None

    def cert(self) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn) for cn in self.cns]
                         or [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Name Check")])
        now = dt.datetime.now(dt.UTC)
        builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(_KEY.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=30)))
        if self.dns or self.ips:
            body = b"".join(_tlv(0x82, d.encode()) for d in self.dns) + \
                b"".join(_tlv(0x87, ipaddress.ip_address(i).packed) for i in self.ips)
            san = x509.UnrecognizedExtension(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, _tlv(0x30, body))
            builder = builder.add_extension(san, critical=False)
        return builder.sign(_KEY, hashes.SHA256())


def _tlv(tag: int, value: bytes) -> bytes:
    assert len(value) < 128
    return bytes([tag, len(value)]) + value


PAIRS = [
    Pair("san-exact", HOST, dns=(HOST,), java=True),
    Pair("san-case", "POD.fa.US2.oraclecloud.com", dns=("pod.FA.us2.oraclecloud.com",), java=True),
    Pair("san-other", HOST, dns=("other.fa.us2.oraclecloud.com",), java=False),
    Pair("san-second", HOST, dns=("other.example", HOST), java=True),
    Pair("san-before-cn", HOST, cns=(HOST,), dns=("other.example",), java=False),
    Pair("cn-when-no-san", HOST, cns=(HOST,), java=True),
    Pair("cn-when-ip-san-only", HOST, cns=(HOST,), ips=("127.0.0.1",), java=True),
    Pair("cn-last-is-compared", HOST, cns=(HOST, "other.example"), java=False),
    Pair("cn-last-matches", HOST, cns=("other.example", HOST), java=True),
    Pair("cn-case", "Pod.Fa.Us2.OracleCloud.com", cns=(HOST.upper(),), java=True),
    Pair("no-names", HOST, java=False),
    Pair("wildcard-leftmost", HOST, dns=("*.fa.us2.oraclecloud.com",), java=True),
    Pair("wildcard-two-labels", HOST, dns=("*.us2.oraclecloud.com",), java=False),
    Pair("wildcard-not-leftmost", HOST, dns=("pod.*.us2.oraclecloud.com",), java=False),
    Pair("wildcard-twice", HOST, dns=("*.*.us2.oraclecloud.com",), java=False),
    Pair("wildcard-partial-prefix", HOST, dns=("p*.fa.us2.oraclecloud.com",), java=True),
    Pair("wildcard-partial-suffix", HOST, dns=("*od.fa.us2.oraclecloud.com",), java=True),
    Pair("wildcard-partial-middle", HOST, dns=("p*d.fa.us2.oraclecloud.com",), java=True),
    Pair("wildcard-partial-wrong", HOST, dns=("q*.fa.us2.oraclecloud.com",), java=False),
    Pair("wildcard-alone", HOST, dns=("*",), java=False),
    Pair("wildcard-dot", HOST, dns=("*.",), java=False),
    Pair("wildcard-no-dot-after", "pod", dns=("po*",), java=False),
    Pair("wildcard-empty-label", "fa.us2.oraclecloud.com", dns=("*.fa.us2.oraclecloud.com",), java=False),
    Pair("wildcard-cn", HOST, cns=("*.fa.us2.oraclecloud.com",), java=True),
    Pair("wildcard-private-tld", "x.com", dns=("*.com",), java=True),
    Pair("wildcard-public-tld", "x.com", dns=("*.com",), public=True, java=False),
    Pair("wildcard-public-two-label-suffix", "x.co.uk", dns=("*.co.uk",), public=True, java=False),
    Pair("wildcard-public-registrable", "x.example.co.uk", dns=("*.example.co.uk",), public=True, java=True),
    Pair("wildcard-public-private-section", "x.blogspot.com", dns=("*.blogspot.com",), public=True, java=True),
    Pair("trailing-dot-host", HOST + ".", dns=(HOST,), java=False),
    Pair("trailing-dot-san", HOST, dns=(HOST + ".",), java=False),
    Pair("underscore-host", "po_d.fa.us2.oraclecloud.com", dns=("po_d.fa.us2.oraclecloud.com",), java=False),
    Pair("underscore-san", HOST, dns=("po_d.fa.us2.oraclecloud.com", HOST), java=True),
    Pair("hyphen-edge-san", HOST, dns=("-pod.fa.us2.oraclecloud.com",), java=False),
    Pair("idn-ulabel-cn-alabel-host", ALABEL, cns=(ULABEL,), java=True),
    Pair("idn-alabel-cn-ulabel-host", ULABEL, cns=(ALABEL,), java=True),
    Pair("idn-alabel-san-ulabel-host", ULABEL, dns=(ALABEL,), java=True),
    Pair("idn-alabel-upper", ULABEL, dns=(ALABEL.upper(),), java=True),
    Pair("idn-ulabel-san-alabel-host", ALABEL, dns=(ULABEL,), java=False),
    Pair("idn-ulabel-san-ulabel-host", ULABEL, dns=(ULABEL,), java=False),
    Pair("idn-bad-punycode-cn", "xn--zz.fa.us2.oraclecloud.com", cns=("xn--zz.fa.us2.oraclecloud.com",)),
    Pair("idn-not-nfkc-cn", HOST, cns=("\uff50\uff4f\uff44.fa.us2.oraclecloud.com",), java=False),
    Pair("ip-san", "127.0.0.1", ips=("127.0.0.1",), java=True),
    Pair("ip-cn-only", "127.0.0.1", cns=("127.0.0.1",), java=False),
    Pair("ip-dns-san", "127.0.0.1", dns=("127.0.0.1",), java=False),
    Pair("ip-other", "127.0.0.1", ips=("127.0.0.2",), java=False),
    Pair("ip-short-form", "127.1", ips=("127.0.0.1",)),
    Pair("ipv6-san", "::1", ips=("::1",), java=True),
    Pair("ipv6-long-form", "0:0:0:0:0:0:0:1", ips=("::1",), java=True),
    Pair("ip-host-dns-san-same-text", "10.0.0.1", dns=("10.0.0.1",), cns=("10.0.0.1",), java=False),
]


@pytest.mark.parametrize("pair", [p for p in PAIRS if p.java is not None], ids=lambda p: p.id)
def test_the_port_matches_as_stated(pair: Pair) -> None:
    said = hostname.mismatch(pair.cert(), pair.host, public_ca=pair.public)
    assert (said is None) is pair.java, said


def test_a_mismatch_says_it_in_javas_words() -> None:
    by_id = {p.id: p for p in PAIRS}
    assert hostname.mismatch(by_id["san-before-cn"].cert(), HOST) == \
        f"No subject alternative DNS name matching {HOST} found."
    assert hostname.mismatch(by_id["cn-last-is-compared"].cert(), HOST) == f"No name matching {HOST} found"
    assert hostname.mismatch(by_id["ip-cn-only"].cert(), "127.0.0.1") == "No subject alternative names present"
    assert hostname.mismatch(by_id["trailing-dot-host"].cert(), HOST + ".") == f"Illegal given domain name: {HOST}."


def java_says(jdk: Path, pairs: list[Pair], folder: Path) -> list[str]:
    """One JVM under `jdk` answers every pair: MATCH or NO <HostnameChecker's message>."""
    lines = []
    for i, p in enumerate(pairs):
        der = folder / f"{i}.der"
        der.write_bytes(p.cert().public_bytes(serialization.Encoding.DER))
        lines.append(f"{p.host}\t{der}\t{'public' if p.public else 'private'}")
    done = subprocess.run([str(jdk / "bin" / "java"), "--add-exports", "java.base/sun.security.util=ALL-UNNAMED",
                           str(CHECKER)], input="\n".join(lines) + "\n", capture_output=True, text=True,
                          encoding="utf-8", timeout=120)
    answers = done.stdout.splitlines()
    assert len(answers) == len(pairs), done.stderr[-2000:]
    return answers


@pytest.mark.e2e  # a JVM per JDK
@pytest.mark.skipif(not JDKS, reason="no JDK under /usr/lib/jvm")
def test_the_port_against_every_jdk(tmp_path: Path) -> None:
    """No pair the port matches is refused by any JDK; the newest JDK and the port agree on every pair.
    Printed (with -s): each JDK's answers beside the port's."""
    newest = max(JDKS, key=major)
    said = {jdk: java_says(jdk, PAIRS, tmp_path) for jdk in JDKS}
    ours = [hostname.mismatch(p.cert(), p.host, public_ca=p.public) for p in PAIRS]
    looser, differ, table = [], [], []
    for i, p in enumerate(PAIRS):
        for jdk in JDKS:
            java = said[jdk][i] == "MATCH"
            if ours[i] is None and not java:
                looser.append(f"{p.id} under {jdk.name}: Java {said[jdk][i]!r}, the port matches")
            if jdk == newest and (ours[i] is None) != java:
                differ.append(f"{p.id}: Java {said[jdk][i]!r}, the port {ours[i] or 'MATCH'!r}")
        table.append(f"{p.id}: port {ours[i] or 'MATCH'} | " + " | ".join(f"{j.name} {said[j][i]}" for j in JDKS))
    print("\n".join(table))
    assert looser == [], "\n".join(looser)
    assert differ == [], "\n".join(differ)
