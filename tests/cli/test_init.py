"""`cutover init`'s decisions, without a network: where each pod goes, which zip is whose, what it refuses.

The end-to-end run (a fresh install, the sandbox's hostnames and zips, every gate passing) is in
tests/test_install.py.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from cutover.cli import main
from cutover.cli.init import datacentre_of
from cutover.config import load
from cutover.sandbox import pki
from tests.conftest import make_store


@pytest.mark.parametrize(("host", "dc"), [
    ("ejwl.fa.us2.oraclecloud.com", "us2"),
    ("eqay-dev3.fa.em1.ukg.oraclecloud.com", "em1"),
    ("fa-eueq-test-saasfaprod1.fa.ocs.oraclecloud.com", "ocs"),
    ("something.example.com", "ocs"),
])
def test_each_pod_goes_to_the_data_centre_its_hostname_names(host: str, dc: str) -> None:
    assert datacentre_of(host) == dc


def _zip(path: Path, host: str) -> None:
    root = pki.make_root("Init Root")
    inter = pki.make_intermediate("Init Issuing CA", root)
    with zipfile.ZipFile(path, "w") as z:
        for name, cert in (("root.pem", root), ("inter.pem", inter), ("server.pem", pki.make_leaf([host], inter))):
            z.writestr(name, cert.pem)


def test_bundles_match_by_content_then_by_file_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "zips").mkdir()
    _zip(tmp_path / "zips" / "provider-download-1.zip", "abcd.fa.us2.oraclecloud.com")  # named by its content
    _zip(tmp_path / "zips" / "Oracle_EM3_certs.zip", "other.example.com")              # named by its file name
    (tmp_path / "zips" / "notes.txt").write_text("not a bundle")
    code = main(["init", "https://abcd.fa.us2.oraclecloud.com/fscmUI/", "efgh.fa.em3.oraclecloud.com",
                 "http://fa-x-saasfaprod1.fa.ocs.oraclecloud.com", "--bundles", "zips"])
    assert code == 0, capsys.readouterr()
    text = (tmp_path / "datacenters.toml").read_text()
    assert 'pods = ["abcd"]' in text and 'pods = ["efgh"]' in text  # the template makes their hostnames
    assert 'bundle = "zips/provider-download-1.zip"   # matched: its server certificate names abcd' in text
    assert 'bundle = "zips/Oracle_EM3_certs.zip"   # matched: its file name has em3' in text
    assert "no bundle in zips names these pods or has ocs in its name" in text
    (tmp_path / "client-truststore.jks").write_bytes(b"\xfe\xed\xfe\xed")
    cfg = load(tmp_path / "datacenters.toml")  # loads with no edit
    assert [t.id for t in cfg.targets] == ["us2/abcd", "em3/efgh", "ocs/fa-x-saasfaprod1"]


@pytest.mark.e2e  # keytool makes the store
def test_each_data_centre_gets_its_own_alias_of_a_root_shared_in_the_store(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], keytool: Path) -> None:
    """One root under several aliases in a shared store (one per data centre, as admins import it): each data
    centre is written with the alias that carries its code, one without such an alias with the first in
    alphabetical order and a comment naming the others."""
    monkeypatch.chdir(tmp_path)
    root = pki.make_root("Shared Root")
    inter = pki.make_intermediate("Shared Issuing CA", root)
    (tmp_path / "zips").mkdir()
    for dc in ("us2", "em3", "us6"):
        with zipfile.ZipFile(tmp_path / "zips" / f"{dc}.zip", "w") as z:
            for name, cert in (("root.pem", root), ("inter.pem", inter),
                               ("server.pem", pki.make_leaf([f"*.fa.{dc}.oraclecloud.com"], inter))):
                z.writestr(name, cert.pem)
    make_store(keytool, tmp_path / "shared.p12", "changeit", {
        "oracle-us2-root": root, "oracle-em3-root": root, "oracle-ap1-root": root, "provider-issuing": inter})
    monkeypatch.setenv("STOREPASS", "changeit")
    code = main(["init", "abcd.fa.us2.oraclecloud.com", "efgh.fa.em3.oraclecloud.com", "ijkl.fa.us6.oraclecloud.com",
                 "--bundles", "zips", "--truststore", "shared.p12", "--password-env", "STOREPASS"])
    assert code == 0, capsys.readouterr()
    text = (tmp_path / "datacenters.toml").read_text()
    tables = {t.split("]", 1)[0]: t for t in text.split("[datacenters.")[1:]}
    assert 'root_alias = "oracle-us2-root"' in tables["us2"] and 'root_alias = "oracle-em3-root"' in tables["em3"]
    assert ('root_alias = "oracle-ap1-root"   # the bundle\'s root CA sits under it in the truststore (also under '
            'oracle-em3-root, oracle-us2-root)') in tables["us6"]
    assert all('intermediate_alias = "provider-issuing"' in t for t in tables.values())
    cfg = load(tmp_path / "datacenters.toml")
    assert {dc.code: dc.root_alias for dc in cfg.datacenters} == {
        "us2": "oracle-us2-root", "em3": "oracle-em3-root", "us6": "oracle-ap1-root"}


@pytest.mark.parametrize(("args", "says"), [
    (["10.1.2.3"], "'10.1.2.3' is an IP address, not a hostname"),
    (["abcd.fa.us2.oraclecloud.com", "htps://abcd-test.fa.us2.oraclecloud.com/"],
     "'htps://abcd-test.fa.us2.oraclecloud.com/' starts with 'htps://', a typo of https://; write "
     "https://abcd-test.fa.us2.oraclecloud.com/"),
    (["hhttps://abcd.fa.us2.oraclecloud.com"], "a typo of https://"),
    (["abcd.fa.us2.oraclecloud.com", "https://ABCD.fa.us2.oraclecloud.com/x"], "are the same pod"),
    (["abcd.fa.us2.oraclecloud.com", "--bundles", "nowhere"], "--bundles nowhere is not a folder"),
    (["abcd.fa.us2.oraclecloud.com", "--truststore", "missing.jks"], "missing.jks"),
])
def test_init_refuses_bad_input_with_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str], args: list[str],
                                                  says: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", *args]) == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / "datacenters.toml").exists()


def test_init_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mine.toml"
    out.write_text("# mine")
    assert main(["init", "abcd.fa.us2.oraclecloud.com", "--out", str(out)]) == 2
    assert "never overwrites" in capsys.readouterr().err and out.read_text() == "# mine"
