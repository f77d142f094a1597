"""Stores made by the real keytool, read by content; provider bundles classified by content."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from cutover.judge.java import ProbeRun, find_java
from cutover.judge.wire import Job
from cutover.sandbox import pki
from cutover.stores import bundle, truststore
from tests.conftest import make_store

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast

PASSWORD = "s3cret-Pa55"


@pytest.fixture(scope="module")
def chain() -> dict[str, pki.Issued]:
    root = pki.make_root("Test Root")
    inter = pki.make_intermediate("Test Issuing CA", root)
    leaf = pki.make_leaf(["abcd.fa.us2.oraclecloud.com"], inter)
    return {"root": root, "inter": inter, "leaf": leaf}


@pytest.mark.parametrize(("storetype", "expected"), [(None, "PKCS12"), ("JKS", "JKS"), ("JCEKS", "JCEKS")])
def test_reads_keytool_stores_by_content_not_name(keytool: Path, tmp_path: Path, chain, storetype, expected) -> None:
    store = make_store(keytool, tmp_path / "client-truststore.jks", PASSWORD,
                       {"Oracle-Root": chain["root"], "oracle-inter": chain["inter"]}, storetype)
    contents = truststore.read(store, PASSWORD)
    assert contents.store_type == expected
    assert [(e.alias, e.kind) for e in contents.entries] == [
        ("oracle-inter", "trustedCertEntry"), ("oracle-root", "trustedCertEntry")]  # Java lower-cases aliases
    assert contents.by_alias("ORACLE-ROOT").cert.sha256 == \
        hashlib.sha256(chain["root"].cert.public_bytes(pki.serialization.Encoding.DER)).hexdigest().upper()


def test_java_listing_equals_ours_and_the_store_is_untouched(keytool: Path, tmp_path: Path, chain, monkeypatch) -> None:
    store = make_store(keytool, tmp_path / "store.p12", PASSWORD, {"root": chain["root"], "lb": chain["leaf"]})
    before = store.read_bytes()
    monkeypatch.setenv("TEST_PW", PASSWORD)
    result = ProbeRun(find_java(None), store, "TEST_PW", timeout=5).start().finish([]).stores[0]
    ours = truststore.read(store, PASSWORD)
    assert result.store is not None
    assert [(e.alias, e.kind, e.cert.sha256) for e in result.store.entries] == \
        [(e.alias, e.kind, e.cert.sha256) for e in ours.entries]
    assert store.read_bytes() == before


def test_java_reports_a_wrong_password(keytool: Path, tmp_path: Path, chain, monkeypatch) -> None:
    store = make_store(keytool, tmp_path / "store.jks", PASSWORD, {"root": chain["root"]}, "JKS")
    monkeypatch.setenv("TEST_PW", "wrong")
    job = Job("us2/a", "127.0.0.1", 9, "a.example", ("now",))
    result = ProbeRun(find_java(None), store, "TEST_PW", timeout=5).start().finish([job]).stores[0]
    assert result.store is None and "password was incorrect" in result.store_error
    # No default cacerts as a fallback: a probe judged against another store would be a false green.
    verdict = result.verdicts[("us2/a", "127.0.0.1", "now")]
    assert not verdict.ok and "could not be loaded by Java" in verdict.reason


@pytest.mark.parametrize("storetype", [None, "JKS"])
def test_wrong_password(keytool: Path, tmp_path: Path, chain, storetype) -> None:
    store = make_store(keytool, tmp_path / "s.jks", PASSWORD, {"root": chain["root"]}, storetype)
    with pytest.raises(truststore.TruststoreError, match=r"s\.jks .*password is wrong"):
        truststore.read(store, "wrong")


def test_not_a_keystore_and_truncated(keytool: Path, tmp_path: Path, chain) -> None:
    text = tmp_path / "notes.jks"
    text.write_text("hello")
    with pytest.raises(truststore.TruststoreError, match=r"notes\.jks is not a keystore"):
        truststore.read(text, PASSWORD)
    store = make_store(keytool, tmp_path / "s.jks", PASSWORD, {"root": chain["root"]}, "JKS")
    cut = tmp_path / "cut.jks"
    cut.write_bytes(store.read_bytes()[:200])
    with pytest.raises(truststore.TruststoreError, match=r"cut\.jks \(JKS\) is corrupted or truncated"):
        truststore.read(cut, PASSWORD)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    path.write_bytes(buf.getvalue())
    return path


def test_bundle_classified_by_content_not_file_name(tmp_path: Path, chain) -> None:
    # Names that lie: what a zip calls "root" is the server certificate, and so on.
    root_der = chain["root"].cert.public_bytes(pki.serialization.Encoding.DER)
    z = _zip(tmp_path / "us2.zip", {"root.cer": chain["leaf"].pem, "server.cer": chain["inter"].pem,
                                    "intermediate.der": root_der})
    b = bundle.read(z)
    assert b.root.subject.startswith("CN=Test Root,")
    assert "Test Issuing CA" in b.intermediate.subject
    assert [s.sans for s in b.servers] == [("abcd.fa.us2.oraclecloud.com",)]
    assert b.files[b.root.sha256].endswith("!intermediate.der")


def test_bundle_as_folder_and_single_pem(tmp_path: Path, chain) -> None:
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "a.pem").write_bytes(chain["root"].pem + chain["inter"].pem)
    assert "Test Issuing CA" in bundle.read(folder).intermediate.subject
    single = tmp_path / "all.pem"
    single.write_bytes(chain["leaf"].pem + chain["inter"].pem + chain["root"].pem)
    assert len(bundle.read(single).servers) == 1


def test_bundle_that_does_not_link_names_the_broken_link(tmp_path: Path, chain) -> None:
    other_root = pki.make_root("Other Root")
    path = tmp_path / "b.pem"
    path.write_bytes(other_root.pem + chain["inter"].pem)
    with pytest.raises(bundle.BundleError, match=r"intermediate CN=Test Issuing CA.* is not signed by the root "
                                                  r"CN=Other Root.*its issuer is CN=Test Root"):
        bundle.read(path)
    path.write_bytes(chain["root"].pem + chain["inter"].pem + pki.make_leaf(["x.example"], other_root).pem)
    with pytest.raises(bundle.BundleError, match=r"server certificate CN=x\.example.* not signed by the bundle's "
                                                  r"intermediate CN=Test Issuing CA"):
        bundle.read(path)


def test_bundle_link_is_a_signature_not_a_name(tmp_path: Path, chain) -> None:
    # Last year's root: same name, another key. Its intermediate must not pass for this year's.
    impostor = pki.make_root("Test Root")
    path = tmp_path / "b.pem"
    path.write_bytes(impostor.pem + chain["inter"].pem)
    with pytest.raises(bundle.BundleError, match="is not signed by the root CN=Test Root"):
        bundle.read(path)


def test_bundle_pkcs7_file(tmp_path: Path, chain) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

    p7 = pkcs7.serialize_certificates([chain["root"].cert, chain["inter"].cert, chain["leaf"].cert], Encoding.DER)
    path = tmp_path / "bundle.p7b"
    path.write_bytes(p7)
    b = bundle.read(path)
    assert "Test Issuing CA" in b.intermediate.subject and len(b.servers) == 1
