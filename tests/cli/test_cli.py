"""`python -m cutover truststore|bundle`: what a person sees, and that bad input is one clear line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cutover.sandbox import pki
from tests.conftest import ROOT, make_store

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast

PASSWORD = "Cli-Pa55word"


def cli(*args: str, password: str | None = PASSWORD) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin"} | ({"CUTOVER_TRUSTSTORE_PASSWORD": password} if password else {})
    return subprocess.run([sys.executable, "-m", "cutover", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, stdin=subprocess.DEVNULL, timeout=60)


@pytest.fixture(scope="module")
def store(keytool: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    root = pki.make_root("Cli Root")
    old = pki.make_intermediate("Cli Old CA", root, pki.NOW - 800 * pki.DAY, pki.NOW - 10 * pki.DAY)
    leaf = pki.make_leaf(["abcd.fa.us2.oraclecloud.com"], root)
    evil = pki.make_leaf(["\x1b[31mred\x1b[0m.example"], root)
    return make_store(keytool, folder / "store.jks", PASSWORD,
                      {"root": root, "old-ca": old, "lb": leaf, "evil": evil})


def test_truststore_table_flags_what_matters(store: Path) -> None:
    done = cli("truststore", str(store))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "PKCS12, 4 entries as Java lists them" in out
    rows = {line.split()[0]: line for line in out.splitlines()[3:]}
    assert "expired" in rows["old-ca"] and "CA" in rows["old-ca"]
    assert "end-entity pinned" in rows["lb"]
    assert "end-entity pinned" not in rows["root"] and "expired" not in rows["root"]
    assert "\x1b" not in out and "\\x1b[31mred" in out  # an escape sequence in a name is shown, not obeyed


def test_truststore_json_for_scripts(store: Path) -> None:
    doc = json.loads(cli("truststore", str(store), "--json").stdout)
    entries = {e["alias"]: e for e in doc["entries"]}
    assert doc["store_type"] == "PKCS12"
    assert entries["lb"]["kind"] == "trustedCertEntry" and entries["lb"]["flags"] == ["end-entity pinned"]
    assert entries["lb"]["certificate"]["sans"] == ["abcd.fa.us2.oraclecloud.com"]
    assert len(entries["root"]["certificate"]["sha256"]) == 64


@pytest.mark.parametrize(("make", "password", "says"), [
    (lambda p: p, "wrong", "the password is wrong (keystore password was incorrect). Set "
                           "CUTOVER_TRUSTSTORE_PASSWORD (the variable --password-env names)"),
    (lambda p: p, None, "is password-protected but no password was given: set CUTOVER_TRUSTSTORE_PASSWORD"),
    (lambda p: p.with_name("missing.jks"), PASSWORD, "cannot be read: No such file"),
    # The command's own words: it has no [truststore] path and no --truststore.
    (lambda p: Path(__file__), PASSWORD, "is not a keystore: it is neither JKS, JCEKS, PKCS12 nor PEM. Point the "
                                         "command's PATH at"),
])
def test_truststore_bad_input_is_one_line_and_exit_2(store: Path, make, password, says) -> None:
    done = cli("truststore", str(make(store)), password=password)
    assert done.returncode == 2
    assert says in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "[truststore]" not in done.stderr and "--truststore" not in done.stderr


def test_bundle_classified_and_broken(tmp_path: Path) -> None:
    root = pki.make_root("B Root")
    inter = pki.make_intermediate("B CA", root)
    leaf = pki.make_leaf(["x.example"], inter)
    good = tmp_path / "good.pem"
    good.write_bytes(leaf.pem + root.pem + inter.pem)
    done = cli("bundle", str(good))
    assert done.returncode == 0
    assert "the chain links (root -> 1 intermediate(s) -> 1 server(s))" in done.stdout
    roles = [line.split()[0] for line in done.stdout.splitlines()[3:]]
    assert roles == ["root", "intermediate", "server"]
    doc = json.loads(cli("bundle", str(good), "--json").stdout)
    assert [c["role"] for c in doc["certificates"]] == ["root", "intermediate", "server"]
    broken = tmp_path / "broken.pem"
    broken.write_bytes(pki.make_root("Other").pem + inter.pem)
    done = cli("bundle", str(broken))
    assert done.returncode == 1 and "the chain does not link" in done.stderr
    assert cli("bundle", str(tmp_path / "nope.zip")).returncode == 2
    # Not a bundle at all (a PDF, the wrong download) is bad input, 2, as the docs say; 1 is a bundle that
    # does not link, the provider's to fix.
    pdf = tmp_path / "certificates.pdf"
    pdf.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    done = cli("bundle", str(pdf))
    assert done.returncode == 2 and "holds no certificate" in done.stderr and "Traceback" not in done.stderr
