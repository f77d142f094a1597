"""Python's reading of a client that trusts several files together: one union, each entry with the file that holds
it, each file with its own type; an error names the file and that it is one of the list.

Unit tests: the stores are written in this process (pyjks, PEM), nothing is started.
"""

from __future__ import annotations

from pathlib import Path

import jks
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from cutover.base.certs import CertInfo
from cutover.judge import python as pyjudge
from cutover.sandbox import pki
from cutover.stores import truststore

PW = "union-Pa55"


@pytest.fixture(scope="module")
def certs() -> dict[str, pki.Issued]:
    root = pki.make_root("Union Root")
    return {"root": root, "inter": pki.make_intermediate("Union Issuing CA", root),
            "partner": pki.make_root("Partner Private CA", org="Partner Corp")}


def jks_store(path: Path, password: str, entries: dict[str, pki.Issued]) -> Path:
    """A JKS of trusted certificates, as keytool writes one (Java reads it; pyjks wrote it)."""
    made = [jks.TrustedCertEntry.new(alias, c.cert.public_bytes(Encoding.DER)) for alias, c in entries.items()]
    path.write_bytes(jks.KeyStore.new("jks", made).saves(password))
    return path


def test_every_file_is_read_into_one_union_that_says_which_file_holds_what(tmp_path: Path, certs) -> None:
    mine = jks_store(tmp_path / "mine.jks", PW, {"partner": certs["partner"], "root": certs["partner"]})
    demo = jks_store(tmp_path / "DemoTrust.jks", PW, {"root": certs["root"], "inter": certs["inter"]})
    pem = tmp_path / "more.pem"
    pem.write_bytes(certs["root"].pem)
    union = truststore.read_files((mine, demo, pem), PW)
    assert union.files == (mine, demo, pem) and union.union == (demo, pem)
    assert union.file_types == ("JKS", "JKS", "PEM") and union.store_type == "JKS"
    # Sorted by alias, then by the file's place: the same alias in two files is two entries, the first file's first.
    assert [(e.alias, union.file_of(e).name) for e in union.entries] == [
        ("inter", "DemoTrust.jks"), ("partner", "mine.jks"), ("pem-0", "more.pem"), ("root", "mine.jks"),
        ("root", "DemoTrust.jks")]
    assert [union.file_of(e) for e in union.holding("ROOT")] == [mine, demo]
    # One file as a store of its own (what a keytool step on it needs: its entries and its type).
    part = union.part(demo)
    assert (part.path, part.store_type, part.union) == (demo, "JKS", ())
    assert [e.alias for e in part.entries] == ["inter", "root"]
    assert union.part(pem).store_type == "PEM"
    assert union.described == f"{mine} (JKS) + {demo} (JKS) + {pem} (PEM)"


def test_the_approximate_judge_takes_its_anchors_from_every_file(tmp_path: Path, certs) -> None:
    mine = jks_store(tmp_path / "mine.jks", PW, {"partner": certs["partner"]})
    demo = jks_store(tmp_path / "demo.jks", PW, {"root": certs["root"]})
    leaf = pki.make_leaf(["acme.fa.us2.oraclecloud.com"], certs["inter"])
    chain = [CertInfo.from_der(c.cert.public_bytes(Encoding.DER)) for c in (leaf, certs["inter"])]
    for files, ok in (((mine, demo), True), ((mine,), False)):
        anchors = pyjudge.anchors(truststore.read_files(files, PW))
        verdict = pyjudge.verify("us2/acme", "127.0.0.1", chain, "acme.fa.us2.oraclecloud.com", *anchors[:1],
                                 aliases=anchors[1])
        assert verdict.ok is ok, verdict.reason


def test_one_file_of_the_list_is_one_store(tmp_path: Path, certs) -> None:
    mine = jks_store(tmp_path / "mine.jks", PW, {"partner": certs["partner"]})
    alone = truststore.read_files((mine,), PW)
    assert alone.union == () and alone.file_types == () and all(e.file is None for e in alone.entries)
    assert alone.part(mine) is alone and alone.described == str(mine)


def test_a_file_the_one_password_does_not_open_is_named(tmp_path: Path, certs) -> None:
    mine = jks_store(tmp_path / "mine.jks", PW, {"partner": certs["partner"]})
    odd = jks_store(tmp_path / "odd.jks", "other-Pa55", {"root": certs["root"]})
    with pytest.raises(truststore.TruststoreError) as e:
        truststore.read_files((mine, odd), PW, password_env="SOA_PW", env_from="[clients.soa] password_env")
    text = str(e.value)
    assert f"truststore {odd} (JKS): the password is wrong" in text, text
    assert "one of the 2 files the client trusts together" in text and "SOA_PW" in text
    assert 'or set password_env = "" for the client' in text
    assert "\n" not in text and "Traceback" not in text


def test_with_no_password_every_file_opens_as_java_opens_one_given_none(tmp_path: Path, certs) -> None:
    """WebLogic's Demo trust: DemoTrust.jks and a JDK's cacerts each have a password of their own; given none, Java
    reads a JKS whole (its integrity unchecked), and so does the union's reading."""
    mine = jks_store(tmp_path / "DemoTrust.jks", "DemoTrustKeyStorePassPhrase", {"root": certs["root"]})
    cacerts = jks_store(tmp_path / "cacerts", "changeit", {"partner": certs["partner"]})
    union = truststore.read_files((cacerts, mine), None)
    assert [(e.alias, e.file) for e in union.entries] == [("partner", cacerts), ("root", mine)]
    with pytest.raises(truststore.TruststoreError, match=r"cacerts \(JKS\) is password-protected"):
        truststore.read(cacerts, None)  # one file alone: as before, its password is asked for


def test_a_missing_file_of_the_list_is_named(tmp_path: Path, certs) -> None:
    mine = jks_store(tmp_path / "mine.jks", PW, {"partner": certs["partner"]})
    with pytest.raises(truststore.TruststoreError, match=r"gone\.jks cannot be read: No such file"):
        truststore.read_files((mine, tmp_path / "gone.jks"), PW)
