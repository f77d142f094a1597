"""The JDK's own cacerts as shipped (Debian's JKS, 144 entries, password changeit) and its PKCS12
conversion read exactly as keytool -list shows them, with nothing on stderr.

One of its roots has a serial number cryptography warns about (and a future release refuses): such a
certificate is read from its DER, never handed to cryptography, and still listed and judged.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cutover.base import certs
from cutover.sandbox import pki
from cutover.stores import truststore

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast

CACERTS = Path("/etc/ssl/certs/java/cacerts")
ENV = {"PATH": "/usr/bin:/bin", "PW": "changeit"}


@pytest.fixture(scope="module")
def cacerts() -> Path:
    if not CACERTS.is_file():
        pytest.skip(f"{CACERTS} is missing (.ci/run installs openjdk-17-jdk-headless, which brings "
                    "ca-certificates-java)")
    return CACERTS


@pytest.fixture(scope="module")
def cacerts_p12(cacerts: Path, keytool: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cacerts") / "cacerts.p12"
    subprocess.run([str(keytool), "-importkeystore", "-srckeystore", str(cacerts), "-srcstorepass:env", "PW",
                    "-destkeystore", str(out), "-deststoretype", "PKCS12", "-deststorepass:env", "PW", "-noprompt"],
                   env=ENV, check=True, capture_output=True, timeout=120)
    return out


def keytool_list(keytool: Path, store: Path) -> dict[str, tuple[str, str]]:
    """alias -> (kind, SHA-256 without colons) as keytool -list prints them."""
    done = subprocess.run([str(keytool), "-J-Dsun.stdout.encoding=UTF-8", "-J-Dstdout.encoding=UTF-8", "-list",
                           "-keystore", str(store), "-storepass:env", "PW"], env={**ENV, "LC_ALL": "C.UTF-8"},
                          check=True, capture_output=True, text=True, timeout=120)
    found = re.findall(r"^(.+?), \w{3} \d{1,2}, \d{4}, (\w+), ?\nCertificate fingerprint \(SHA-256\): ([0-9A-F:]+)$",
                       done.stdout, re.M)
    return {alias.lower(): (kind, fp.replace(":", "")) for alias, kind, fp in found}


@pytest.mark.parametrize("which", ["jks", "pkcs12"])
def test_real_cacerts_read_as_keytool_lists_it_with_nothing_on_stderr(
        which: str, cacerts: Path, cacerts_p12: Path, keytool: Path) -> None:
    store = cacerts if which == "jks" else cacerts_p12
    expected = keytool_list(keytool, store)
    assert len(expected) >= 100  # Debian ships 144; a parse that found few would prove nothing
    # Exactly as a user runs it, in a fresh interpreter whose warnings are all shown.
    done = subprocess.run([sys.executable, "-W", "default", "-m", "cutover", "truststore", str(store),
                           "--password-env", "PW", "--json"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PW": "changeit"})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    listed = json.loads(done.stdout)
    got = {e["alias"]: (e["kind"], e["certificate"]["sha256"]) for e in listed["entries"]}
    assert got == expected


def test_certificates_cryptography_warns_about_are_read_from_der(cacerts: Path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        store = truststore.read(cacerts, "changeit")
    from_der = [e for e in store.entries if e.cert is not None and e.cert.parsed_by == "der"]
    assert from_der, "Debian's cacerts holds roots with a serial cryptography refuses to like"
    for e in from_der:
        assert e.cert is not None and e.cert.subject and e.cert.not_before < e.cert.not_after and e.cert.is_ca


def test_der_reading_agrees_with_cryptography_where_both_can(cacerts: Path) -> None:
    """The fallback is faithful: on every certificate cryptography reads cleanly, the same facts."""
    store = truststore.read(cacerts, "changeit")
    checked = 0
    for e in store.entries:
        c = e.cert
        if c is None or c.parsed_by != "cryptography":
            continue
        d = certs._from_asn1(c.der)
        assert (d.sha256, d.subject, d.issuer, d.serial, d.not_before, d.not_after, d.sans, d.is_ca) == \
            (c.sha256, c.subject, c.issuer, c.serial, c.not_before, c.not_after, c.sans, c.is_ca), e.alias
        checked += 1
    assert checked > 100


def test_a_certificate_cryptography_refuses_is_listed_not_a_crash() -> None:
    """A negative serial (what a future cryptography refuses outright), and DER cryptography cannot load."""
    root = pki.make_root("Refused Root")
    bad = pki.malformed(pki.make_leaf(["x.example"], root))
    info = certs.CertInfo.from_der(bad.cert.public_bytes(pki.serialization.Encoding.DER))
    assert info.parsed_by == "der" and info.serial.startswith("-")
    assert info.sans == ("x.example",) and "CN=x.example" in info.subject
    # And the approximate engine never hands such a certificate to cryptography: it says it cannot judge.
    from cutover.judge import python as pyjudge

    verdict = pyjudge.verify("us2/x", "127.0.0.1", [info], "x.example", [certs.CertInfo.from_cert(root.cert)])
    assert not verdict.ok and "cannot" in verdict.reason
