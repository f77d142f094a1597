"""A client's trust options, read as JSSE reads them: the store an option names is the one judged, opened as JSSE
opens it, and every set-up cutover cannot judge faithfully stops the run with one paragraph naming it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cutover.config import ConfigError, load
from cutover.config.jsse import check_launcher_variables
from cutover.judge.locate import StoreSpec, jsse_default, store_of

HEAD = """
[defaults]
app = "fa"
hostname = "{pod}.{app}.{dc}.oraclecloud.com"

[datacenters.us2]
pods = ["abcd"]
"""


def write(tmp_path: Path, client: str) -> Path:
    for name in ("store.jks", "other.jks"):
        (tmp_path / name).write_bytes(b"\xfe\xed\xfe\xed")
    path = tmp_path / "datacenters.toml"
    path.write_text(HEAD + "\n[clients.soa]\n" + client + "\n")
    return path


def test_an_option_names_the_store_and_its_password_matters_by_its_presence(tmp_path: Path) -> None:
    store = tmp_path / "store.jks"
    (soa,) = load(write(tmp_path, f'java_options = ["-Djavax.net.ssl.trustStore={store}"]')).clients
    assert (soa.truststore, soa.store_from, soa.password_env) == (store, "option", "")
    spec = store_of(soa)
    assert spec.jsse and spec.password() is None  # no trustStorePassword: opened with none, as JSSE does
    assert spec.why == "named by -Djavax.net.ssl.trustStore in the client's java_options"
    with_pw = load(write(tmp_path, f'java_options = ["-Djavax.net.ssl.trustStore={store}"]\npassword_env = "SOA_PW"'))
    assert with_pw.clients[0].password_env == "SOA_PW"
    # The toml and the option naming the same file is no clash.
    same = load(write(tmp_path, f'truststore = "store.jks"\njava_options = ["-Djavax.net.ssl.trustStore={store}"]'))
    assert same.clients[0].store_from == "option"
    # A relative option resolves from the client's working directory.
    rel = load(write(tmp_path, f'java_options = ["-Djavax.net.ssl.trustStore=store.jks"]\nworking_dir = "{tmp_path}"'))
    assert rel.clients[0].truststore == store
    # The toml's own store keeps today's meaning: opened by its content, with password_env's password.
    toml = load(write(tmp_path, 'truststore = "store.jks"')).clients[0]
    assert (toml.store_from, toml.password_env, store_of(toml).jsse) == ("toml", "CUTOVER_TRUSTSTORE_PASSWORD", False)


@pytest.mark.parametrize(("client", "message"), [
    ('truststore = "other.jks"\njava_options = ["-Djavax.net.ssl.trustStore={tmp}/store.jks"]',
     "client 'soa': truststore = 'other.jks' ({tmp}/other.jks) and its java_options "
     "-Djavax.net.ssl.trustStore={tmp}/store.jks name two stores, and the client's JVM reads the option's. Name one: "
     "remove truststore (the option's file is then judged) or make both name the same file."),
    ('truststore = "java:cacerts"\njava_options = ["-Djavax.net.ssl.trustStore={tmp}/store.jks"]',
     "client 'soa': truststore = 'java:cacerts' and its java_options -Djavax.net.ssl.trustStore={tmp}/store.jks "
     "name two stores"),
    ('java_options = ["-Djavax.net.ssl.trustStore={tmp}/gone.jks"]',
     "client 'soa': -Djavax.net.ssl.trustStore names {tmp}/gone.jks, which does not exist here (or is not a file). "
     "JSSE would then fall back to the JDK's cacerts without a word, so cutover would judge another store than the "
     "one the option means. Fix the path, or run cutover where that file is."),
    ('java_options = ["-Djavax.net.ssl.trustStore=conf/store.jks"]',
     "client 'soa': -Djavax.net.ssl.trustStore=conf/store.jks is a relative path, which the client's JVM resolves "
     "from the folder it starts in. Give the absolute path, or set working_dir = \"...\" for the client"),
    ('java_options = ["-Djavax.net.ssl.trustStore=NONE"]',
     "client 'soa': java_options sets -Djavax.net.ssl.trustStore=NONE: a store that is no file (the operating "
     "system's, a token or a hardware module) is not modelled by cutover"),
    ('truststore = "java:default"\njava_options = ["-Djavax.net.ssl.trustStoreType=Windows-ROOT"]',
     "java_options sets -Djavax.net.ssl.trustStoreType=Windows-ROOT: a store that is no file"),
    ('truststore = "java:default"\njava_options = ["-Djavax.net.ssl.trustStoreType=KeychainStore"]',
     "java_options sets -Djavax.net.ssl.trustStoreType=KeychainStore: a store that is no file"),
    ('truststore = "java:default"\njava_options = ["-Djavax.net.ssl.trustStoreType=PKCS11"]',
     "java_options sets -Djavax.net.ssl.trustStoreType=PKCS11: a store that is no file"),
    ('truststore = "store.jks"\njava_options = ["-Djavax.net.ssl.trustStorePassword=s3cret-value"]',
     "client 'soa': java_options sets -Djavax.net.ssl.trustStorePassword, which would put the store's password in "
     "datacenters.toml. Remove it and set password_env = \"VARIABLE\" for the client instead"),
])
def test_what_cannot_be_judged_faithfully_is_one_paragraph(tmp_path: Path, client: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        load(write(tmp_path, client.replace("{tmp}", str(tmp_path))))
    text = str(e.value)
    assert message.replace("{tmp}", str(tmp_path)) in text
    assert "\n" not in text and "s3cret-value" not in text


def test_options_from_launcher_variables_are_not_modelled() -> None:
    check_launcher_variables({"JAVA_TOOL_OPTIONS": "-Xmx1g -Dfile.encoding=UTF-8"})  # nothing decisive: fine
    with pytest.raises(ConfigError, match=re.escape(
            "JAVA_TOOL_OPTIONS sets -Djavax.net.ssl.trustStore -Dhttps.protocols: options that come from "
            "JAVA_TOOL_OPTIONS (or JDK_JAVA_OPTIONS, _JAVA_OPTIONS) are not modelled")) as e:
        check_launcher_variables({"JAVA_TOOL_OPTIONS": "-Djavax.net.ssl.trustStore=/x -Dhttps.protocols=TLSv1"})
    assert "/x" not in str(e.value)
    with pytest.raises(ConfigError, match=re.escape("JDK_JAVA_OPTIONS sets -Djavax.net.ssl.trustStorePassword: ")):
        check_launcher_variables({"JDK_JAVA_OPTIONS": "-Djavax.net.ssl.trustStorePassword=hidden"})


def fake_jdk(tmp_path: Path, *files: str) -> Path:
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("")
    for f in files:
        (tmp_path / "jdk" / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "jdk" / f).write_bytes(b"\xfe\xed\xfe\xed")
    return java


def test_jsse_takes_a_readable_jssecacerts_before_cacerts(tmp_path: Path) -> None:
    java = fake_jdk(tmp_path, "lib/security/cacerts", "lib/security/jssecacerts")
    sec = tmp_path / "jdk" / "lib" / "security"
    assert jsse_default(java) == (sec / "jssecacerts", sec / "cacerts")
    (sec / "jssecacerts").unlink()
    (sec / "jssecacerts").mkdir()  # a folder is no store: passed over, as TrustStoreManager does
    assert jsse_default(java) == (sec / "cacerts", None)


def test_java_default_names_why_and_what_it_shadows(tmp_path: Path) -> None:
    fake_jdk(tmp_path, "lib/security/cacerts", "lib/security/jssecacerts")
    path = write(tmp_path, f'truststore = "java:default"\njava_home = "{tmp_path / "jdk"}"')
    (soa,) = load(path).clients
    spec = store_of(soa)
    sec = tmp_path / "jdk" / "lib" / "security"
    assert spec == StoreSpec(sec / "jssecacerts", "", cacerts=True, jsse=True, why=(
        f"the JDK's jssecacerts, which JSSE reads instead of its cacerts ({sec / 'cacerts'} is not read)"),
        shadows=sec / "cacerts")
    assert spec.password() is None


def test_http_client_says_whether_https_options_apply(tmp_path: Path) -> None:
    base = 'truststore = "store.jks"\njava_options = ["-Dhttps.protocols=TLSv1.2"]\n'
    assert load(write(tmp_path, base)).clients[0].https_options
    assert not load(write(tmp_path, base + 'http_client = "java.net.http"')).clients[0].https_options
    with pytest.raises(ConfigError, match=re.escape(
            "client 'soa' http_client = 'jersey' is not one cutover knows. Known: HttpsURLConnection, "
            "apache-system-properties, java.net.http, okhttp, netty")):
        load(write(tmp_path, base + 'http_client = "jersey"'))
