"""datacenters.toml: the shape from the issue loads, and each mistake gets one sentence naming the fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cutover.config import KNOWN_DATACENTERS, ConfigError, Overrides, load, parse_nameserver

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
[defaults]
app = "fa"
hostname = "{pod}.{app}.{dc}.oraclecloud.com"
port = 443

[truststore]
path = "store.jks"
password_env = "CUTOVER_TRUSTSTORE_PASSWORD"

[datacenters.us2]
name = "US2 - Chicago"
pods = ["abcd-test", "abcd"]
bundle = "certs/us2.zip"
root_alias = "oracle-us2-root"
intermediate_alias = "oracle-us2-intermediate"

[datacenters.em3]
name = "EM3 - Slough"
pods = ["efgh"]
hostname = "{pod}.login.{dc}.oraclecloud.com"
port = 8443
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "store.jks").write_bytes(b"\xfe\xed\xfe\xed")
    (tmp_path / "certs").mkdir(exist_ok=True)
    (tmp_path / "certs" / "us2.zip").write_bytes(b"PK")
    path = tmp_path / "datacenters.toml"
    path.write_text(text)
    return path


def test_the_issue_shape_loads_with_per_dc_overrides(tmp_path: Path) -> None:
    cfg = load(write(tmp_path, GOOD))
    assert [t.id for t in cfg.targets] == ["us2/abcd-test", "us2/abcd", "em3/efgh"]
    us2, em3 = cfg.datacenters
    assert us2.targets[0].hostname == "abcd-test.fa.us2.oraclecloud.com"
    assert us2.bundle == tmp_path / "certs" / "us2.zip"  # relative to the toml, not the working directory
    assert em3.targets[0].hostname == "efgh.login.em3.oraclecloud.com" and em3.targets[0].port == 8443
    assert em3.bundle is None
    assert cfg.clients[0].truststore == tmp_path / "store.jks"
    assert not cfg.simulated


def test_shipped_datacenters_toml_lists_all_14_with_no_pods() -> None:
    import tomllib

    raw = tomllib.loads((ROOT / "datacenters.toml").read_text())
    assert list(raw["datacenters"]) == list(KNOWN_DATACENTERS)
    assert all(dc["pods"] == [] and dc["name"] for dc in raw["datacenters"].values())


@pytest.mark.parametrize(("change", "expected"), [
    (("port = 443", "prot = 443"), r"unknown key 'prot' in \[defaults\]\. Did you mean 'port'\?"),
    (('pods = ["efgh"]', 'pod = ["efgh"]'), r"unknown key 'pod' in \[datacenters\.em3\]\. Did you mean 'pods'\?"),
    (("port = 443", 'port = "443"'), r"defaults\.port must be an integer"),
    (('pods = ["efgh"]', 'pods = ["efgh", "efgh"]'), r"two pods have the id 'efgh' \(efgh.login.em3.oraclecloud.com "),
    (('pods = ["efgh"]', 'pods = ["Bad Pod"]'), r"'Bad Pod' is not a pod name"),
    (('hostname = "{pod}.login', 'hostname = "{pood}.login'), r"not a valid template"),
    (('hostname = "{pod}.login', 'hostname = "{pod}_x.login'), r"not a valid DNS name"),
    (('path = "store.jks"', 'path = "missing.jks"'), r"missing\.jks does not exist"),
    (('bundle = "certs/us2.zip"', 'bundle = "certs/none.zip"'), r"none\.zip does not exist"),
    (('root_alias = "oracle-us2-root"', ""), r"has a bundle but no root_alias"),
    (("[defaults]", "[defaults"), r"not valid TOML"),
    (('pods = ["efgh"]\n', ""), r"\[datacenters\.em3\] has no pods key"),
    (('hostname = "{pod}.{app}.{dc}', 'hostname = "x.{app}.{dc}'),
     r"us2/abcd-test and us2/abcd both have the hostname"),
    (("[datacenters.em3]", "[datacenters.us2]"), r"not valid TOML.*line"),  # a data centre declared twice
    (('password_env = "CUTOVER_TRUSTSTORE_PASSWORD"', "password_env = 3"),
     r"truststore\.password_env must be a string"),
])
def test_each_mistake_names_the_key_and_the_fix(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError, match=expected) as e:
        load(path)
    assert str(path) in str(e.value)


def test_store_path_that_is_a_pipe_is_refused_not_read(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "fifo.jks")
    path = write(tmp_path, GOOD.replace('path = "store.jks"', 'path = "fifo.jks"'))
    with pytest.raises(ConfigError, match="is not a regular file"):
        load(path)


def test_store_path_that_is_a_folder(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('path = "store.jks"', 'path = "certs"'))
    with pytest.raises(ConfigError, match="is a folder"):
        load(path)


def test_selection_by_dc_and_pod(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    cfg = load(path, Overrides(only_dcs=["us2"], only_pods=["abcd"]))
    assert [t.id for t in cfg.targets] == ["us2/abcd"]
    with pytest.raises(ConfigError, match=r"--dc us3: no data centre 'us3'.*Did you mean 'us2'\?"):
        load(path, Overrides(only_dcs=["us3"]))
    with pytest.raises(ConfigError, match="--pod nope"):
        load(path, Overrides(only_pods=["nope"]))


@pytest.mark.parametrize("given", ["abcd", "us2/abcd", "US2/abcd", "default:us2/abcd"])
def test_pod_choice_takes_every_form_the_run_prints(tmp_path: Path, given: str) -> None:
    cfg = load(write(tmp_path, GOOD), Overrides(only_pods=[given]))
    assert [t.id for t in cfg.targets] == ["us2/abcd"]
    assert [c.text for c in cfg.pod_choices] == [given]


@pytest.mark.parametrize(("given", "message"), [
    ("us2/", "--pod us2/: not a pod as the run prints one; write its name"),
    ("a b", "--pod a b: not a pod as the run prints one"),
    ("em3/abcd", "--pod em3/abcd: no such pod in the selected data centres"),
    ("soa:us2/abcd", "--pod soa:us2/abcd: no client 'soa' among this run's clients"),
])
def test_pod_choice_faults_name_the_option_and_the_forms(tmp_path: Path, given: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load(write(tmp_path, GOOD), Overrides(only_pods=[given]))


def test_command_line_wins_over_the_file(tmp_path: Path) -> None:
    other = tmp_path / "other.p12"
    other.write_bytes(b"x")
    cfg = load(write(tmp_path, GOOD), Overrides(truststore=other, nameservers=["127.0.0.1:5353", "::1"]))
    assert cfg.clients[0].truststore == other
    assert cfg.nameservers == (("127.0.0.1", 5353), ("::1", 53))


@pytest.mark.parametrize("bad", ["dns.example.com", "1.2.3.4:99999", "1.2.3.4:x"])
def test_nameserver_must_be_an_address(bad: str) -> None:
    with pytest.raises(ConfigError, match="not IP or IP:PORT"):
        parse_nameserver(bad)


def test_shipped_datacenters_toml_loads_with_our_strict_reader(tmp_path: Path) -> None:
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "client-truststore.jks").write_bytes(b"\xfe\xed\xfe\xed")
    shipped = tmp_path / "datacenters.toml"
    shipped.write_text((ROOT / "datacenters.toml").read_text())
    cfg = load(shipped)
    assert [dc.code for dc in cfg.datacenters] == list(KNOWN_DATACENTERS) and cfg.targets == ()
    assert cfg.clients[0].password_env == "CUTOVER_TRUSTSTORE_PASSWORD"


SRS = GOOD.replace('port = 443\n', 'port = 443\nsr = "3-1000"\n', 1).replace(
    'pods = ["abcd-test", "abcd"]', 'pods = [{ name = "abcd", sr = "3-1111" }, "abcd-test"]\nsr = "3-2222"').replace(
    'pods = ["efgh"]', 'pods = ["efgh", { name = "ijkl" }]')


def test_service_requests_per_default_data_centre_and_pod(tmp_path: Path) -> None:
    cfg = load(write(tmp_path, SRS))
    assert {t.id: t.sr for t in cfg.targets} == {
        "us2/abcd": "3-1111", "us2/abcd-test": "3-2222", "em3/efgh": "3-1000", "em3/ijkl": "3-1000"}
    us2, em3 = cfg.datacenters
    assert us2.srs == ("3-1111", "3-2222") and em3.srs == ("3-1000",)
    assert cfg.srs == ("3-1111", "3-2222", "3-1000")
    # --sr sets one SR for the whole run, whatever the file says.
    one = load(write(tmp_path, SRS), Overrides(sr="3-9999"))
    assert {t.sr for t in one.targets} == {"3-9999"} and one.srs == ("3-9999",)
    assert {t.sr for t in load(write(tmp_path, GOOD)).targets} == {None}


@pytest.mark.parametrize(("text", "fragment"), [
    (SRS.replace('sr = "3-1111"', 'sr = "3/1111"'), "datacenters.us2.pods (abcd).sr: service request '3/1111'"),
    (SRS.replace('sr = "3-1000"', 'sr = "../x"'), "defaults.sr: service request '../x' is not an SR number"),
    (SRS.replace('sr = "3-2222"', 'sr = 3'), "datacenters.us2.sr must be a string"),
    (SRS.replace('{ name = "ijkl" }', '{ name = "ijkl", sr_number = "3-1" }'),
     "unknown key 'sr_number' in a pod of datacenters.em3.pods. Known keys there: hostname, name, port, sr."),
    (SRS.replace('{ name = "ijkl" }', '{ sr = "3-1" }'), "a pod table needs a name"),
    (SRS.replace('{ name = "ijkl" }', '42'), "entries must be a pod name, a hostname, a URL or"),
])
def test_sr_mistakes_name_the_key_and_the_fix(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        load(write(tmp_path, text))
    with pytest.raises(ConfigError, match="--sr: service request 'a b'"):
        load(write(tmp_path, GOOD), Overrides(sr="a b"))


CLIENTS = GOOD.replace('''[truststore]
path = "store.jks"
password_env = "CUTOVER_TRUSTSTORE_PASSWORD"
''', '''[run]
java_options = ["-Dcom.sun.net.ssl.checkRevocation=false"]

[clients.soa]
truststore = "store.jks"
password_env = "SOA_TRUSTSTORE_PASSWORD"
java_home = "/opt/jdk8"
java_options = ["-Djdk.tls.client.protocols=TLSv1.2"]
datacenters = ["us2"]

[clients.batch]
truststore = "java:cacerts"
''')


def test_clients_load_with_their_own_store_jdk_options_and_datacentres(tmp_path: Path) -> None:
    cfg = load(write(tmp_path, CLIENTS))
    soa, batch = cfg.clients
    assert (soa.name, soa.truststore, soa.password_env, soa.java_home, soa.datacenters) == \
        ("soa", tmp_path / "store.jks", "SOA_TRUSTSTORE_PASSWORD", Path("/opt/jdk8"), ("us2",))
    assert soa.java_options == ("-Dcom.sun.net.ssl.checkRevocation=false", "-Djdk.tls.client.protocols=TLSv1.2")
    assert batch.cacerts and batch.password_env == "" and batch.datacenters == ("us2", "em3")
    assert cfg.several_clients
    assert [c.name for c in load(write(tmp_path, CLIENTS), Overrides(only_clients=["batch"])).clients] == ["batch"]


def test_a_file_without_clients_has_one_default_client(tmp_path: Path) -> None:
    cfg = load(write(tmp_path, GOOD))
    (only,) = cfg.clients
    assert only.name == "default" and only.truststore == tmp_path / "store.jks" and not cfg.several_clients
    assert only.datacenters == ("us2", "em3")
    assert load(write(tmp_path, GOOD), Overrides(only_dcs=["em3"])).clients[0].datacenters == ("em3",)


@pytest.mark.parametrize(("change", "expected"), [
    (('datacenters = ["us2"]', 'datacenter = ["us2"]'),
     "unknown key 'datacenter' in [clients.soa]. Did you mean 'datacenters'?"),
    (('truststore = "java:cacerts"', 'password_env = "X"'),
     "client 'batch' has no truststore. Add truststore ="),
    (('datacenters = ["us2"]', 'datacenters = ["us9"]'),
     "client 'soa' datacenters names 'us9', which is not a data centre of this file"),
    (('[clients.batch]', '[clients.soa]'), "client 'soa' is defined twice ([clients.soa])"),
    (('[clients.batch]', '[clients.SOA]'), "clients 'soa' and 'SOA' differ only in case"),
    (('truststore = "store.jks"', 'truststore = "nowhere.jks"'), "client 'soa' truststore: truststore"),
    (('java_options = ["-Djdk', 'java_options = ["-Xmx1g", "-Djdk'), "client 'soa' java_options: java option '-Xmx1g'"),
])
def test_each_client_mistake_names_the_client(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as e:
        load(write(tmp_path, CLIENTS.replace(*change)))
    assert expected in str(e.value)


def test_client_selection_mistakes(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"--client sao: no client 'sao'.* Did you mean 'soa'"):
        load(write(tmp_path, CLIENTS), Overrides(only_clients=["sao"]))
    with pytest.raises(ConfigError, match="has no \\[clients\\] table, so its one client is 'default'"):
        load(write(tmp_path, GOOD), Overrides(only_clients=["soa"]))
    with pytest.raises(ConfigError, match="both \\[truststore\\] and \\[clients\\]"):
        load(write(tmp_path, CLIENTS + '\n[truststore]\npath = "store.jks"\n'))


def test_a_runs_series_is_the_files_name_or_run_series(tmp_path: Path) -> None:
    """History's identity: the file's name, not its path; [run] series joins or splits series by hand."""
    assert load(write(tmp_path, GOOD)).series_name == "datacenters.toml"
    named = load(write(tmp_path, GOOD + '\n[run]\nseries = "fusion-prod"\n'))
    assert named.series_name == "fusion-prod"
    with pytest.raises(ConfigError, match=r"\[run\] series '  ' must be a name of 1 to 200 printable characters"):
        load(write(tmp_path, GOOD + '\n[run]\nseries = "  "\n'))
    simulated = load(write(tmp_path, GOOD + '\n[sandbox]\nscenario = "good"\n'))
    assert simulated.series_name == "sandbox: datacenters.toml", "make demo's runs are no real run's baseline"


def test_a_client_trusting_several_files_lists_them_in_order(tmp_path: Path) -> None:
    """WebLogic's Demo trust: DemoTrust.jks and the JDK's cacerts, judged as one union (issue 36 item 2)."""
    (tmp_path / "DemoTrust.jks").write_bytes(b"x")
    cfg = load(write(tmp_path, CLIENTS.replace('truststore = "store.jks"',
                                               'truststore = ["store.jks", "DemoTrust.jks"]')))
    soa = cfg.clients[0]
    assert soa.truststore == tmp_path / "store.jks" and soa.union == (tmp_path / "DemoTrust.jks",)
    assert soa.store_files == (tmp_path / "store.jks", tmp_path / "DemoTrust.jks")
    default = load(write(tmp_path, GOOD.replace('path = "store.jks"', 'path = ["DemoTrust.jks", "store.jks"]')))
    assert default.clients[0].store_files == (tmp_path / "DemoTrust.jks", tmp_path / "store.jks")
    assert load(write(tmp_path, GOOD)).clients[0].union == ()


@pytest.mark.parametrize(("value", "expected"), [
    ("[]", "client 'soa' truststore is an empty list"),
    ('["store.jks", "java:cacerts"]', "lists 'java:cacerts': in a list of files trusted together, write the JDK's"),
    ('["store.jks", "./store.jks"]', "lists './store.jks' twice"),
    ('["store.jks", 3]', "must list file paths as strings, got 3"),
    ('["store.jks", "gone.jks"]', "client 'soa' truststore: truststore"),
])
def test_a_list_of_stores_mistake_names_the_client_and_the_fix(tmp_path: Path, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as e:
        load(write(tmp_path, CLIENTS.replace('truststore = "store.jks"', f"truststore = {value}")))
    assert expected in str(e.value)


def test_a_list_of_stores_beside_a_trust_store_option_is_refused(tmp_path: Path) -> None:
    """The option replaces the JSSE default: judging the list or the option's file would be a guess."""
    text = CLIENTS.replace('truststore = "store.jks"', 'truststore = ["store.jks"]').replace(
        '"-Djdk.tls.client.protocols=TLSv1.2"', f'"-Djavax.net.ssl.trustStore={tmp_path / "store.jks"}"')
    (tmp_path / "other.jks").write_bytes(b"x")
    text = text.replace('truststore = ["store.jks"]', 'truststore = ["store.jks", "other.jks"]')
    with pytest.raises(ConfigError, match=r"lists several files trusted together .* names one, which replaces them"):
        load(write(tmp_path, text))
