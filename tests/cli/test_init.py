"""`cutover init`'s decisions, without a network: where each pod goes, which zip is whose, what it refuses.

The end-to-end run (a fresh install, the sandbox's hostnames and zips, every gate passing) is in
tests/test_install.py.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from cutover.cli import init_dns, main
from cutover.cli.init import Group, _alias_for, datacentre_of, place_ocs
from cutover.config import load
from cutover.net.dns import StagingEvidence
from cutover.sandbox import pki
from cutover.stores import bundle as bundle_mod
from tests.conftest import make_store


@pytest.mark.parametrize(("host", "dc"), [
    ("ejwl.fa.us2.oraclecloud.com", "us2"),
    ("eqay-dev3.fa.em1.ukg.oraclecloud.com", "em1"),
    ("fa-eueq-test-saasfaprod1.fa.ocs.oraclecloud.com", "ocs"),
    ("something.example.com", "ocs"),
])
def test_each_pod_goes_to_the_data_centre_its_hostname_names(host: str, dc: str) -> None:
    assert datacentre_of(host) == dc


def _zip(path: Path, *hosts: str) -> None:
    root = pki.make_root("Init Root")
    inter = pki.make_intermediate("Init Issuing CA", root)
    with zipfile.ZipFile(path, "w") as z:
        for name, cert in (("root.pem", root), ("inter.pem", inter), ("server.pem", pki.make_leaf(list(hosts), inter))):
            z.writestr(name, cert.pem)


def test_bundles_match_by_content_then_by_file_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "zips").mkdir()
    _zip(tmp_path / "zips" / "provider-download-1.zip", "abcd.fa.us2.oraclecloud.com")  # named by its content
    _zip(tmp_path / "zips" / "Oracle_EM3_certs.zip", "other.example.com")              # named by its file name
    (tmp_path / "zips" / "notes.txt").write_text("not a bundle")
    code = main(["init", "https://abcd.fa.us2.oraclecloud.com/fscmUI/", "efgh.fa.em3.oraclecloud.com",
                 "http://fa-x-saasfaprod1.fa.ocs.oraclecloud.com", "--bundles", "zips", "--no-resolve"])
    assert code == 0, capsys.readouterr()
    text = (tmp_path / "datacenters.toml").read_text()
    assert 'pods = ["abcd"]' in text and 'pods = ["efgh"]' in text  # the template makes their hostnames
    assert 'bundle = "zips/provider-download-1.zip"   # matched: its server certificate names abcd' in text
    assert 'bundle = "zips/Oracle_EM3_certs.zip"   # matched: its file name has em3' in text
    assert "no bundle in zips names these pods or has ocs in its name" in text  # no certificate names fa-x
    assert "no bundle in zips has a server certificate naming them" in text
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
                 "--bundles", "zips", "--truststore", "shared.p12", "--password-env", "STOREPASS", "--no-resolve"])
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
    (["abcd.fa.us2.oraclecloud.com", "--nameserver", "dns.example.com"], "--nameserver: nameserver 'dns.example.com' "
                                                                         "is not IP or IP:PORT"),
    (["--out", "exists.toml", "abcd.fa.us2.oraclecloud.com", "htps://efgh.fa.us2.oraclecloud.com"], "a typo of https"),
])
def test_init_refuses_bad_input_with_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str], args: list[str],
                                                  says: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exists.toml").write_text("# mine")  # the scheme is refused first, before this is even looked at
    monkeypatch.setattr(init_dns, "resolve_all", _no_look_up)
    assert main(["init", *args]) == 2
    out = capsys.readouterr()
    assert says in out.err and out.out == "", out
    assert not (tmp_path / "datacenters.toml").exists()


def _no_look_up(*args: object, **kwargs: object) -> None:
    raise AssertionError("resolved although it should not have")


def test_init_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mine.toml"
    out.write_text("# mine")
    assert main(["init", "abcd.fa.us2.oraclecloud.com", "--out", str(out)]) == 2
    assert "never overwrites" in capsys.readouterr().err and out.read_text() == "# mine"


OCS_HOST = "fa-eabc-test-saasfaprod1.fa.ocs.oraclecloud.com"


def _bundles(tmp_path: Path, **sans: tuple[str, ...]) -> dict[str, bundle_mod.Bundle]:
    """A bundle per keyword (its file's stem), its server certificate naming the given names."""
    out = {}
    for stem, names in sans.items():
        _zip(tmp_path / f"{stem.replace('_', '-')}.zip", *names)
        out[stem] = bundle_mod.read(tmp_path / f"{stem.replace('_', '-')}.zip")
    return out


@pytest.mark.parametrize(("sans", "placed", "why"), [
    # The us2 bundle's certificate names the ocs pod by its own name: it joins us2.
    ({"us2": ("abcd.fa.us2.oraclecloud.com", OCS_HOST)}, "us2", "names it"),
    # By a wildcard, as TLS matches one: it joins us2 too.
    ({"us2": ("abcd.fa.us2.oraclecloud.com", "*.fa.ocs.oraclecloud.com")}, "us2", "names it by a wildcard"),
    # A wildcard covers one label only: *.oraclecloud.com does not name it, so no bundle proves it.
    ({"us2": ("abcd.fa.us2.oraclecloud.com", "*.oraclecloud.com")}, "ocs", None),
    # No data centre of the file uses the bundle that names it: a group of its own, named after the file.
    ({"us2": ("abcd.fa.us2.oraclecloud.com",), "us_ashburn_1": (OCS_HOST,)}, "us-ashburn-1", None),
    # Named exactly by one bundle and by a wildcard of another (us2's): its own name wins.
    ({"us2": ("abcd.fa.us2.oraclecloud.com", "*.fa.ocs.oraclecloud.com"), "oci_ashburn": (OCS_HOST,)},
     "oci-ashburn", None),
])
def test_an_ocs_pod_goes_where_a_bundle_names_it(tmp_path: Path, sans: dict[str, tuple[str, ...]], placed: str,
                                                 why: str | None) -> None:
    """Never beside a bundle whose server certificate does not name it: there its new_cert_staged would fail."""
    bundles = _bundles(tmp_path, **sans)
    us2 = Group("us2", [(None, "abcd.fa.us2.oraclecloud.com")], bundles["us2"], "its server certificate names abcd")
    dcs = place_ocs({"us2": us2}, [(None, OCS_HOST)], list(bundles.values()))
    assert [h for _, h in dcs[placed].pods][-1] == OCS_HOST and sum(len(d.pods) for d in dcs.values()) == 2
    group = dcs[placed]
    if placed == "ocs":
        assert group.bundle is None
    else:
        assert group.bundle is not None and any(s.covers(OCS_HOST) for s in group.bundle.servers)
        assert group.own_group == (placed != "us2")
    if why:
        assert group.joined == [f"fa-eabc-test-saasfaprod1: its hostname names no data centre; this bundle's server "
                                f"certificate {why}"]


def test_the_placed_file_names_the_group_and_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "zips").mkdir()
    _zip(tmp_path / "zips" / "us2.zip", "*.fa.us2.oraclecloud.com", OCS_HOST)
    _zip(tmp_path / "zips" / "US-Ashburn-1 certs.zip", "fa-wxyz-saasfaprod1.fa.ocs.oraclecloud.com")
    assert main(["init", "abcd.fa.us2.oraclecloud.com", f"https://{OCS_HOST}/fscmUI/",
                 "fa-wxyz-saasfaprod1.fa.ocs.oraclecloud.com", "--bundles", "zips", "--no-resolve"]) == 0
    text = (tmp_path / "datacenters.toml").read_text()
    assert f'pods = ["abcd", "{OCS_HOST}"]' in text
    assert "# fa-eabc-test-saasfaprod1: its hostname names no data centre; this bundle's server certificate names it" \
        in text
    assert "[datacenters.us-ashburn-1-certs]" in text and "[datacenters.ocs]" not in text
    (tmp_path / "client-truststore.jks").write_bytes(b"\xfe\xed\xfe\xed")
    cfg = load(tmp_path / "datacenters.toml")
    assert [t.id for t in cfg.targets] == ["us2/abcd", "us2/fa-eabc-test-saasfaprod1",
                                           "us-ashburn-1-certs/fa-wxyz-saasfaprod1"]


def test_each_pod_is_said_in_one_line() -> None:
    ok = StagingEvidence("acme.fa.us2.oraclecloud.com", ("acme.fa.us2.oraclecloud.com", "acme.edgekey.net"),
                         ("23.1.2.3",), "acme.edgekey.net", "acme.edgekey-staging.net", (), ("23.4.5.6",))
    assert init_dns.found("us2/acme", ok) == init_dns.Found(
        "us2/acme", "us2/acme: acme.fa.us2.oraclecloud.com -> 23.1.2.3; staging twin acme.edgekey-staging.net -> "
                    "23.4.5.6", False)
    private = StagingEvidence("acme.fa.us2.oraclecloud.com", (), ("23.1.2.3",), "acme.edgekey.net",
                              "acme.edgekey-staging.net", (), ("10.0.0.7", "23.4.5.6"))
    seen = init_dns.found("us2/acme", private)
    assert seen.private == ("10.0.0.7",) and seen.line.endswith("(private or loopback: see allow_private_ips in the "
                                                                  "file's [run])") and not seen.warning
    typo = StagingEvidence("abcd-tset.fa.us2.oraclecloud.com", problem="production hostname abcd-tset.fa.us2."
                           "oraclecloud.com does not exist (NXDOMAIN). Check the name.", failure="production_nxdomain")
    seen = init_dns.found("us2/abcd-tset", typo)
    assert seen.warning and seen.line == ("us2/abcd-tset: warning: production hostname abcd-tset.fa.us2.oraclecloud.com"
                                          " does not exist (NXDOMAIN). Check the name.")


def test_init_looks_every_pod_up_first_and_warns_on_the_one_that_does_not_resolve(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The look-ups go through --nameserver (as the run's will: it is written to [run]); a name that does not
    resolve is a warning on its pod, in the output and in the file, and the file is still written."""
    asked: list[object] = []

    def resolve_all(hosts: dict[str, str], nameservers: list[tuple[str, int]]) -> dict[str, StagingEvidence]:
        asked.append((hosts, nameservers))
        return {pid: StagingEvidence(h, (h,), ("23.1.2.3",), f"{h}.edgekey.net", f"{h}.edgekey-staging.net", (),
                                     ("23.4.5.6",)) if "tset" not in h else
                StagingEvidence(h, problem=f"production hostname {h} does not exist (NXDOMAIN). Check the name.")
                for pid, h in hosts.items()}

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(init_dns, "resolve_all", resolve_all)
    assert main(["init", "abcd.fa.us2.oraclecloud.com", "abcd-tset.fa.us2.oraclecloud.com", "--nameserver",
                 "127.0.0.1:5353"]) == 0
    assert asked == [({"us2/abcd": "abcd.fa.us2.oraclecloud.com", "us2/abcd-tset": "abcd-tset.fa.us2.oraclecloud.com"},
                      [("127.0.0.1", 5353)])]
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        "resolved 2 pod(s) and their staging twins through 127.0.0.1:5353:",
        "  us2/abcd: abcd.fa.us2.oraclecloud.com -> 23.1.2.3; staging twin abcd.fa.us2.oraclecloud.com.edgekey-staging"
        ".net -> 23.4.5.6",
        "  us2/abcd-tset: warning: production hostname abcd-tset.fa.us2.oraclecloud.com does not exist (NXDOMAIN). "
        "Check the name."]
    assert any(line.startswith("warning: us2/abcd-tset did not resolve") for line in out), out
    text = (tmp_path / "datacenters.toml").read_text()
    assert 'nameservers = ["127.0.0.1:5353"]' in text and 'pods = ["abcd", "abcd-tset"]' in text
    assert "# warning: abcd-tset: production hostname abcd-tset.fa.us2.oraclecloud.com does not exist" in text


def test_no_resolve_looks_nothing_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(init_dns, "resolve_all", _no_look_up)
    assert main(["init", "abcd.fa.us2.oraclecloud.com", "--no-resolve"]) == 0
    assert capsys.readouterr().out.startswith("not resolved (--no-resolve): each gate run resolves every pod afresh.\n")
    assert "warning" not in (tmp_path / "datacenters.toml").read_text()


@pytest.mark.parametrize(("code", "chosen"), [
    ("us2", "oracle-us2-root"),
    ("us-ashburn-1", "oracle-us-ashburn-1-root"),  # a group named after its bundle: its code has hyphens
    ("em3", "oracle-ap1-root"),  # none carries em3: the first in alphabetical order
])
def test_a_data_centre_takes_the_alias_that_carries_its_code(code: str, chosen: str) -> None:
    aliases = ["oracle-us2-root", "oracle-us-ashburn-1-root", "oracle-us-ashburn-10-root", "oracle-ap1-root"]
    assert _alias_for(code, aliases) == (chosen, sorted(a for a in aliases if a != chosen))
