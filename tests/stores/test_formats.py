"""Every store form every keytool on this machine makes, read by us exactly as `keytool -list -v` lists it.

The alias and load-balancer gates are only as true as our reading of the client's store, and that
store is whatever the client's keytool made: JKS, JCEKS, PKCS12 in a file named .jks, the legacy PBE
PKCS12, password-less PKCS12, with private keys from JDK 21+.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from cutover.sandbox import pki
from cutover.stores import truststore

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast

PASSWORD = "Store-Pa55word"


def keytools() -> list[Path]:
    """/usr/bin/keytool and the keytool of every JDK under /usr/lib/jvm, each real binary once."""
    found: dict[Path, Path] = {}
    candidates = [Path("/usr/bin/keytool"), *sorted(Path("/usr/lib/jvm").glob("*/bin/keytool"))]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            found.setdefault(c.resolve(), c)
    return list(found.values())


KEYTOOLS = keytools()

# name: (-storetype, extra -J options); None = keytool's default type (PKCS12 since JDK 9).
FORMS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "default": (None, ()),
    "jks": ("JKS", ()),
    "jceks": ("JCEKS", ()),
    "pkcs12-legacy": ("PKCS12", ("-J-Dkeystore.pkcs12.legacy",)),
    "pkcs12-passwordless": ("PKCS12", ("-J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE",
                                       "-J-Dkeystore.pkcs12.macAlgorithm=NONE")),
}


def run(keytool: Path, *args: str, stdin: str | None = None) -> str:
    env = {"PATH": "/usr/bin:/bin", "KS_PW": PASSWORD}
    done = subprocess.run([str(keytool), *args], env=env, capture_output=True, text=True, timeout=120, input=stdin)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def java_listing(keytool: Path, store: Path, password: bool = True) -> list[tuple[str, str, str]]:
    """(alias, entry type, SHA-256 of the entry's first certificate) as `keytool -list -v` prints them."""
    args = ["-list", "-v", "-keystore", str(store)]
    out = run(keytool, *args, "-storepass:env", "KS_PW") if password else run(keytool, *args, stdin="\n")
    rows = []
    for block in out.split("Alias name: ")[1:]:
        alias = block.splitlines()[0].strip()
        kind = re.search(r"Entry type: (\S+)", block)[1]
        sha = re.search(r"SHA256: ([0-9A-F:]+)", block)[1].replace(":", "")
        rows.append((alias, kind, sha))
    return sorted(rows)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("certs")
    root = pki.make_root("Format Root")
    inter = pki.make_intermediate("Format Issuing CA", root)
    leaf = pki.make_leaf(["lb.fa.us2.oraclecloud.com"], inter)
    out = {}
    for name, issued in {"root": root, "inter": inter, "leaf": leaf}.items():
        out[name] = folder / f"{name}.pem"
        out[name].write_bytes(issued.pem)
    return out


@pytest.mark.skipif(not KEYTOOLS, reason="no keytool on this machine (.ci/run installs openjdk-17-jdk-headless)")
@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("keytool", [k if i == 0 else pytest.param(k, marks=pytest.mark.slow)  # other JDKs: slow tier
                                     for i, k in enumerate(KEYTOOLS)], ids=[str(k) for k in KEYTOOLS])
def test_our_listing_equals_keytools(keytool: Path, form: str, certs: dict[str, Path], tmp_path: Path) -> None:
    storetype, opts = FORMS[form]
    store = tmp_path / "client-truststore.jks"  # the name lies for every form but JKS: content decides
    common = [*opts, "-keystore", str(store), "-storepass:env", "KS_PW"]
    common += ["-storetype", storetype] if storetype else []
    for alias, name in (("Oracle-Root", "root"), ("oracle-inter", "inter"), ("pinned-lb", "leaf")):
        run(keytool, "-importcert", "-noprompt", "-trustcacerts", "-alias", alias, "-file", str(certs[name]), *common)
    if form != "pkcs12-passwordless":  # keytool cannot add a private key to a store without a password
        run(keytool, "-genkeypair", "-alias", "client-key", "-keyalg", "EC", "-groupname", "secp256r1",
            "-dname", "CN=client", "-validity", "30", "-keypass:env", "KS_PW", *common)
    before = store.read_bytes()

    password = None if form == "pkcs12-passwordless" else PASSWORD
    ours = truststore.read(store, password)
    theirs = java_listing(keytool, store, password=password is not None)
    assert sorted((e.alias, e.kind, e.cert.sha256) for e in ours.java_entries) == theirs
    assert len(theirs) == (3 if form == "pkcs12-passwordless" else 4)
    expected_type = {"default": "PKCS12", "jks": "JKS", "jceks": "JCEKS"}.get(form, "PKCS12")
    assert ours.store_type == expected_type
    assert store.read_bytes() == before, "reading must never write the store"


def test_openssl_pkcs12_certificate_is_not_trusted_by_java(certs: dict[str, Path], tmp_path: Path) -> None:
    """A certificate exported by openssl has no Oracle trusted-key-usage attribute: Java ignores it."""
    if not KEYTOOLS:
        pytest.skip("no keytool on this machine")
    store = tmp_path / "openssl.p12"
    subprocess.run(["openssl", "pkcs12", "-export", "-nokeys", "-in", str(certs["root"]), "-out", str(store),
                    "-passout", "env:KS_PW"], env={"KS_PW": PASSWORD, "PATH": "/usr/bin:/bin"}, check=True,
                   capture_output=True, timeout=60)
    ours = truststore.read(store, PASSWORD)
    assert [e.kind for e in ours.entries] == ["ignoredCertificate"]
    assert ours.trusted == () and ours.java_entries == ()
    assert java_listing(KEYTOOLS[0], store) == []
