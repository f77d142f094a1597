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


@pytest.mark.parametrize(("args", "says"), [
    (["10.1.2.3"], "'10.1.2.3' is an IP address, not a hostname"),
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
