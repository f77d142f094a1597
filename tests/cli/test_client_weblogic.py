"""`cutover client --weblogic-domain DIR [--server NAME]`: domains written in tmp_path as Oracle documents them, with
a fake JDK and WL_HOME holding real keytool-made stores; each trust mode gives the files that mode trusts, and the
table written loads with cutover's own reader.

Oracle's pages the domains follow:
- "Configuring Keystores", Administering Security for Oracle WebLogic Server 12.2.1.4 (secmg/identity_trust.html)
  and 14.1.1: the four <key-stores> values; Demo trust is WL_HOME/server/lib/DemoTrust.jks plus the JDK's cacerts;
  Java Standard trust is the JDK's cacerts; Custom trust is <custom-trust-key-store-file-name> and -type, its
  passphrase kept encrypted in <custom-trust-key-store-pass-phrase-encrypted>; Command Line trust is given on the
  server's command line.
- The Administration Console's "Servers: Configuration: Keystores" help ("In addition, WebLogic Server trusts the CA
  certificates in the JDK cacerts file") and the domain schema's key-stores element (default
  DemoIdentityAndDemoTrust; custom-trust-key-store-file-name "absolute or relative to where the server was booted").
- "Developing Security-Aware Clients", Developing Standalone Clients for Oracle WebLogic Server 12.2.1.4 (saclt/
  security.html): "WebLogic Server's integration with JSSE does not use ... javax.net.ssl.trustStore", and the
  command-line trust options -Dweblogic.security.TrustKeyStore=CustomTrust|JavaStandardTrust|DemoTrust with
  CustomTrustKeyStoreFileName / CustomTrustKeyStoreType / CustomTrustKeyStorePassPhrase (the stored copy of the
  page is cut before that list: the names were cross-checked against public copies of WebLogic's keystore
  configuration code, which reads exactly these for Command Line trust).
- "How WebLogic Server Locates Trust" (Configuring Identity and Trust, Securing Oracle WebLogic Server 11g):
  -Dweblogic.security.SSL.trustedCAKeyStore first, then config.xml.
No JVM is started but keytool's, once per module.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cutover.cli import main as cli_main
from cutover.config import load
from cutover.sandbox import pki
from tests.cli.test_client_read import HEAD  # the datacenters file a table is written into
from tests.conftest import ROOT, make_store

SECRET = "WlsTru5t-s3cret"
NS = "http://xmlns.oracle.com/weblogic/domain"
# A 12c setDomainEnv.sh, cut to the lines that matter: JAVA_HOME is chosen by shell logic, which is not run.
SET_DOMAIN_ENV = """#!/bin/sh
# WARNING: This file is created by the Configuration Wizard.
WL_HOME="{wl_home}"
export WL_HOME
BEA_JAVA_HOME=""
export BEA_JAVA_HOME
SUN_JAVA_HOME="{jdk}"
export SUN_JAVA_HOME
if [ "${{JAVA_VENDOR}}" = "Oracle" ] ; then
	JAVA_HOME="${{BEA_JAVA_HOME}}"
	export JAVA_HOME
else
	JAVA_VENDOR="Sun"
	JAVA_HOME="${{SUN_JAVA_HOME}}"
	export JAVA_HOME
fi
#JAVA_OPTIONS="${{JAVA_OPTIONS}} -Dcommented.out=1"
JAVA_OPTIONS="${{JAVA_OPTIONS}} -Djavax.net.ssl.trustStore=${{WL_HOME}}/server/lib/DemoTrust.jks -Dapp.mode=prod"
export JAVA_OPTIONS
if [ -f ${{DOMAIN_HOME}}/bin/setUserOverrides.sh ] ; then
	. ${{DOMAIN_HOME}}/bin/setUserOverrides.sh
fi
"""


@pytest.fixture(scope="module")
def stores(keytool: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three real stores, each with its own root: the JDK's cacerts, DemoTrust.jks and a custom trust store."""
    folder = tmp_path_factory.mktemp("wls-stores")
    return {name: make_store(keytool, folder / f"{name}.store", "changeit", {name: pki.make_root(f"{name} root")},
                             storetype)
            for name, storetype in (("cacerts", "JKS"), ("demo", "JKS"), ("custom", "PKCS12"))}


def server(name: str, inner: str = "") -> str:
    return f"  <server>\n    <name>{name}</name>\n{inner}  </server>\n"


def make_domain(tmp_path: Path, stores: dict[str, Path], servers: str, overrides: str = "") -> Path:
    """A domain folder with config/config.xml, bin/ scripts, a JDK and a WL_HOME whose stores are real."""
    jdk, wl_home, domain = tmp_path / "jdk-17", tmp_path / "wlserver", tmp_path / "domains" / "soa_domain"
    for path, store in ((jdk / "lib" / "security" / "cacerts", "cacerts"),
                        (wl_home / "server" / "lib" / "DemoTrust.jks", "demo"),
                        (domain / "security" / "trust.p12", "custom")):
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(stores[store], path)
    (domain / "config").mkdir()
    (domain / "config" / "config.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<domain xmlns="{NS}">\n  <name>soa_domain</name>\n'
        f"{servers}</domain>\n")
    (domain / "bin").mkdir()
    (domain / "bin" / "setDomainEnv.sh").write_text(SET_DOMAIN_ENV.format(wl_home=wl_home, jdk=jdk))
    if overrides:
        (domain / "bin" / "setUserOverrides.sh").write_text(overrides)
    return domain


def client(domain: Path, *more: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli_main(["client", "--name", "soa", "--weblogic-domain", str(domain), *more])
    out, err = capsys.readouterr()
    return code, out, err


def written(tmp_path: Path, domain: Path, capsys: pytest.CaptureFixture[str], *more: str) -> tuple[Path, ...]:
    """The files the table's client trusts, as cutover's own config reader loads them after --write."""
    toml = tmp_path / "datacenters.toml"
    toml.write_text(HEAD)
    code, _, err = client(domain, *more, "--write", str(toml), capsys=capsys)
    assert code == 0, err
    return load(toml).clients[0].store_files


def test_no_key_stores_is_demo_trust_the_jdks_cacerts_first(tmp_path: Path, stores: dict[str, Path],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """No <key-stores>: WebLogic's default, Demo trust, two files trusted together; cacerts first (the fix plan
    imports into the first), and the JDK's cacerts itself, not jssecacerts, even when one is there."""
    domain = make_domain(tmp_path, stores, server("AdminServer"))
    jdk, wl_home = tmp_path / "jdk-17", tmp_path / "wlserver"
    shutil.copy(stores["custom"], jdk / "lib" / "security" / "jssecacerts")
    code, out, err = client(domain, capsys=capsys)
    assert code == 0, err
    cacerts, demo = jdk / "lib" / "security" / "cacerts", wl_home / "server" / "lib" / "DemoTrust.jks"
    assert f'truststore = ["{cacerts}", "{demo}"]' in out
    assert "no <key-stores> for AdminServer" in out and "cacerts is first, the file a fix goes into" in out
    assert f'java_home = "{jdk}"' in out
    assert written(tmp_path, domain, capsys) == (cacerts, demo)


@pytest.mark.parametrize(("inner", "overrides", "expected"), [
    ("    <key-stores>DemoIdentityAndDemoTrust</key-stores>\n", "", ("jdk", "demo")),
    ("    <key-stores>CustomIdentityAndJavaStandardTrust</key-stores>\n", "", ("jdk",)),
    ("    <key-stores>CustomIdentityAndCustomTrust</key-stores>\n"
     "    <custom-trust-key-store-file-name>security/trust.p12</custom-trust-key-store-file-name>\n"
     "    <custom-trust-key-store-type>PKCS12</custom-trust-key-store-type>\n", "", ("custom",)),
    ("    <key-stores>CustomIdentityAndCommandLineTrust</key-stores>\n",
     'JAVA_OPTIONS="${JAVA_OPTIONS} -Dweblogic.security.TrustKeyStore=CustomTrust"\n'
     'JAVA_OPTIONS="${JAVA_OPTIONS} \\\n'
     '    -Dweblogic.security.CustomTrustKeyStoreFileName=${DOMAIN_HOME}/security/trust.p12"\n',
     ("custom",)),
    ("    <key-stores>CustomIdentityAndCommandLineTrust</key-stores>\n",
     'JAVA_OPTIONS="${JAVA_OPTIONS} -Dweblogic.security.TrustKeyStore=JavaStandardTrust"\n', ("jdk",)),
    ("    <key-stores>CustomIdentityAndCustomTrust</key-stores>\n"
     "    <custom-trust-key-store-file-name>security/trust.p12</custom-trust-key-store-file-name>\n",
     'JAVA_OPTIONS="-Dweblogic.security.SSL.trustedCAKeyStore=${WL_HOME}/server/lib/DemoTrust.jks ${JAVA_OPTIONS}"\n',
     ("demo",)),
], ids=["demo", "java-standard", "custom-relative", "command-line-custom", "command-line-standard",
        "trustedCAKeyStore-first"])
def test_each_trust_mode_gives_the_stores_it_trusts(tmp_path: Path, stores: dict[str, Path], inner: str,
                                                    overrides: str, expected: tuple[str, ...],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The setDomainEnv.sh's -Djavax.net.ssl.trustStore (DemoTrust.jks, as SOA domains set it) never decides: WebLogic's
    own SSL does not read it, so it is a comment."""
    domain = make_domain(tmp_path, stores, server("soa_server1", inner), overrides)
    files = {"jdk": tmp_path / "jdk-17" / "lib" / "security" / "cacerts",
             "demo": tmp_path / "wlserver" / "server" / "lib" / "DemoTrust.jks",
             "custom": domain / "security" / "trust.p12"}
    code, out, err = client(domain, capsys=capsys)
    assert code == 0, err
    assert '# "-Djavax.net.ssl.trustStore=' in out and "not the server's trust" in out
    assert written(tmp_path, domain, capsys) == tuple(files[e] for e in expected)


def test_script_options_say_file_line_and_verify(tmp_path: Path, stores: dict[str, Path],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    overrides = ("# setUserOverrides.sh\n"
                 'JAVA_OPTIONS="${JAVA_OPTIONS} -Djdk.tls.client.protocols=TLSv1.2"\n'
                 'export JAVA_OPTIONS\n'
                 'JAVA_OPTIONS="${JAVA_OPTIONS} -Dweblogic.security.SSL.ignoreHostnameVerification=true"\n')
    inner = ("    <ssl>\n      <name>soa_server1</name>\n"
             "      <hostname-verifier>com.example.Lenient</hostname-verifier>\n    </ssl>\n    <server-start>\n"
             "      <arguments>-Xmx2g -Dhttps.protocols=TLSv1.3</arguments>\n    </server-start>\n")
    domain = make_domain(tmp_path, stores, server("soa_server1", inner), overrides)
    code, out, err = client(domain, capsys=capsys)
    assert code == 0, err
    lines = out.splitlines()
    tls = next(ln for ln in lines if "-Djdk.tls.client.protocols=TLSv1.2" in ln)
    assert f"{domain / 'bin' / 'setUserOverrides.sh'}:2" in tls and "verify" in tls and not tls.startswith("#")
    java_home = next(ln for ln in lines if ln.startswith("java_home"))
    assert f"{domain / 'bin' / 'setDomainEnv.sh'}:14" in java_home and "verify" in java_home
    nm = next(ln for ln in lines if "-Dhttps.protocols=TLSv1.3" in ln)
    assert "<server-start><arguments> of soa_server1" in nm and "verify" in nm
    assert "-Dcommented.out" not in out
    hostname = [ln for ln in lines if ln.startswith("# hostname verification:")]
    assert len(hostname) == 2 and "com.example.Lenient" in hostname[0]
    assert "ignoreHostnameVerification=true" in hostname[1] and "reported, not judged" in hostname[1]
    assert "--pid PID` reads what its JVM got, exactly" in out + err


def test_no_passphrase_appears_in_any_output(tmp_path: Path, stores: dict[str, Path]) -> None:
    """config.xml's encrypted passphrase and a script's clear one are never read out, through the real command (its
    stdout, stderr and the file --write writes); their presence names the variable to export."""
    inner = ("    <key-stores>CustomIdentityAndCustomTrust</key-stores>\n"
             "    <custom-trust-key-store-file-name>security/trust.p12</custom-trust-key-store-file-name>\n"
             "    <custom-trust-key-store-pass-phrase-encrypted>{AES256}"
             f"{SECRET}A==</custom-trust-key-store-pass-phrase-encrypted>\n")
    overrides = (f'JAVA_OPTIONS="${{JAVA_OPTIONS}} -Dweblogic.security.CustomTrustKeyStorePassPhrase={SECRET}B"\n'
                 f'JAVA_OPTIONS="${{JAVA_OPTIONS}} -Djavax.net.ssl.trustStorePassword={SECRET}C"\n')
    domain = make_domain(tmp_path, stores, server("soa_server1", inner), overrides)
    (domain / "config" / "config.xml").write_text((domain / "config" / "config.xml").read_text().replace(
        "</domain>", f"  <embedded-ldap><credential-encrypted>{{AES256}}{SECRET}D</credential-encrypted>"
        "</embedded-ldap>\n</domain>"))
    toml = tmp_path / "datacenters.toml"
    toml.write_text(HEAD)
    outputs = []
    for extra in ([], ["--write", str(toml)]):
        done = subprocess.run([sys.executable, "-m", "cutover", "client", "--name", "soa", "--weblogic-domain",
                               str(domain), *extra], capture_output=True, text=True, cwd=ROOT, timeout=60,
                              env={"PATH": "/usr/bin:/bin"}, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr
        outputs += [done.stdout, done.stderr]
    outputs.append(toml.read_text())
    assert all(SECRET not in text for text in outputs)
    assert 'password_env = "SOA_TRUSTSTORE_PASSWORD"' in outputs[0]
    assert "custom-trust-key-store-pass-phrase-encrypted" in outputs[0]
    assert "export SOA_TRUSTSTORE_PASSWORD" in outputs[1]
    assert "CustomTrustKeyStorePassPhrase=(set; value not written)" in outputs[0]
    assert load(toml).clients[0].password_env == "SOA_TRUSTSTORE_PASSWORD"


def test_several_servers_need_server_and_the_error_lists_them(tmp_path: Path, stores: dict[str, Path],
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    domain = make_domain(tmp_path, stores, server("AdminServer") + server("soa_server1") + server("osb_server1"))
    code, out, err = client(domain, capsys=capsys)
    assert code == 2 and out == ""
    assert "3 servers (AdminServer, soa_server1, osb_server1)" in err and "--server NAME" in err
    code, out, err = client(domain, "--server", "soa_server2", capsys=capsys)
    assert code == 2 and "--server soa_server2: no such server" in err and "osb_server1" in err
    code, out, err = client(domain, "--server", "osb_server1", capsys=capsys)
    assert code == 0 and "server osb_server1" in out
    code = cli_main(["client", "--name", "soa", "--cmdline", "-", "--server", "osb_server1"])
    out, err = capsys.readouterr()
    assert code == 2 and "--server NAME chooses a server of a WebLogic domain" in err


@pytest.mark.parametrize(("break_it", "expected"), [
    (lambda d: (d / "config" / "config.xml").unlink(), r"cannot read .*config\.xml"),
    (lambda d: (d / "config" / "config.xml").write_text("<domain><server><name>x</server></domain>"),
     r"config\.xml is not well-formed XML"),
    (lambda d: (d / "config" / "config.xml").write_text(
        f'<domain xmlns="{NS}"><server><name>s</name><key-stores>DemoIdentityAndCustomTrust</key-stores>'
        "</server></domain>"), r"<key-stores>DemoIdentityAndCustomTrust</key-stores>, which is none of WebLogic"),
    (lambda d: (d / "config" / "config.xml").write_text(
        f'<domain xmlns="{NS}"><server><name>s</name><key-stores>CustomIdentityAndCustomTrust</key-stores>'
        "<custom-trust-key-store-file-name>security/gone.jks</custom-trust-key-store-file-name></server></domain>"),
     r"<custom-trust-key-store-file-name> 'security/gone\.jks' \(.*gone\.jks\) does not exist here"),
    (lambda d: (d / "config" / "config.xml").write_text(
        f'<domain xmlns="{NS}"><server><name>s</name><key-stores>CustomIdentityAndCommandLineTrust</key-stores>'
        "</server></domain>"), r"no script of the domain sets -Dweblogic\.security\.TrustKeyStore=CustomTrust.*"
     r"The -Djavax\.net\.ssl\.trustStore the domain sets \(.*setDomainEnv\.sh:18 .*\) is not it"),
    (lambda d: (d / "bin" / "setDomainEnv.sh").write_text("# no JAVA_HOME here\n"),
     r"neither a script of the domain .* nor its <server-start><java-home> sets JAVA_HOME"),
    (lambda d: (d / "config" / "config.xml").write_text(
        f'<domain xmlns="{NS}"><security-configuration><use-kss-for-demo>true</use-kss-for-demo>'
        "</security-configuration><server><name>s</name></server></domain>"), r"kss://system/trust, not a file"),
    (lambda d: (d / "config" / "config.xml").write_text(
        f'<domain xmlns="{NS}"><server><name>s</name><key-stores>CustomIdentityAndCustomTrust</key-stores>'
        "<custom-trust-key-store-file-name>kss://system/trust</custom-trust-key-store-file-name></server></domain>"),
     r"OPSS Keystore Service store, not a file"),
], ids=["no-config", "malformed", "unknown-key-stores", "missing-custom-store", "command-line-without-store",
        "no-java-home", "kss-demo", "kss-custom"])
def test_bad_input_is_one_paragraph_and_exit_2(tmp_path: Path, stores: dict[str, Path],
                                               break_it: Callable[[Path], object], expected: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    domain = make_domain(tmp_path, stores, server("s"))
    break_it(domain)
    code, out, err = client(domain, capsys=capsys)
    assert code == 2 and out == ""
    assert err.startswith("cutover client: ") and err.count("\n") == 1 and "Traceback" not in err
    assert re.search(expected, err), err


def test_a_jdk_8_keeps_cacerts_under_jre_and_disagreements_are_said(tmp_path: Path, stores: dict[str, Path],
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """JDK 8's cacerts is jre/lib/security/cacerts; a Node Manager JDK (setNMJavaHome.sh) other than the scripts'
    and a -Dweblogic.security.TrustKeyStore beside <key-stores> are said, not silently chosen between."""
    inner = "    <key-stores>CustomIdentityAndJavaStandardTrust</key-stores>\n"
    overrides = 'JAVA_OPTIONS="${JAVA_OPTIONS} -Dweblogic.security.TrustKeyStore=DemoTrust"\n'
    domain = make_domain(tmp_path, stores, server("osb_server1", inner), overrides)
    jdk = tmp_path / "jdk-17"
    (jdk / "jre" / "lib" / "security").mkdir(parents=True)
    shutil.move(jdk / "lib" / "security" / "cacerts", jdk / "jre" / "lib" / "security" / "cacerts")
    (domain / "bin" / "setNMJavaHome.sh").write_text('JAVA_HOME="/usr/java/jdk1.8.0_202"\nexport JAVA_HOME\n')
    code, out, err = client(domain, capsys=capsys)
    assert code == 0, err
    assert f'truststore = "{jdk / "jre" / "lib" / "security" / "cacerts"}"' in out
    assert "Node Manager starts osb_server1 with JAVA_HOME=/usr/java/jdk1.8.0_202" in out
    assert f"{domain / 'bin' / 'setNMJavaHome.sh'}:1" in out
    assert "-Dweblogic.security.TrustKeyStore=DemoTrust" in out and "expects it to agree" in out


def test_a_java_home_in_server_start_is_taken_when_no_script_sets_one_and_said_when_it_differs(
        tmp_path: Path, stores: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """<server-start><java-home> is the JDK Node Manager starts the server with (the domain schema's ServerStart
    JavaHome), before nodemanager.properties' (for a server naming none): the JDK when no script sets JAVA_HOME,
    said either way."""
    jdk = tmp_path / "jdk-17"
    inner = ("    <key-stores>CustomIdentityAndJavaStandardTrust</key-stores>\n"
             f"    <server-start>\n      <java-home>{jdk}</java-home>\n    </server-start>\n")
    domain = make_domain(tmp_path, stores, server("soa_server1", inner))
    (domain / "bin" / "setDomainEnv.sh").write_text(f'WL_HOME="{tmp_path / "wlserver"}"\n')
    (domain / "nodemanager").mkdir()
    (domain / "nodemanager" / "nodemanager.properties").write_text("JavaHome=/usr/java/jdk1.8.0_202\n")
    code, out, err = client(domain, capsys=capsys)
    assert code == 0, err
    assert f'truststore = "{jdk / "lib" / "security" / "cacerts"}"' in out, out
    assert re.search(rf'java_home = "{re.escape(str(jdk))}"  # .*config\.xml <server-start><java-home> of soa_server1, '
                     r"used when Node Manager starts it: verify\n", out), out
    assert "Node Manager starts soa_server1 with JAVA_HOME=" f"{jdk} ({domain / 'config' / 'config.xml'} " \
        "<server-start><java-home> of soa_server1), the start scripts with none: verify how it is started." in " ".join(
            line.lstrip("# ") for line in out.splitlines()), out
    (tmp_path / "other").mkdir()
    other = make_domain(tmp_path / "other", stores, server("soa_server1", inner.replace(str(jdk), "/opt/jdk-21")))
    code, out, err = client(other, capsys=capsys)
    assert code == 0, err
    assert f'truststore = "{tmp_path / "other" / "jdk-17" / "lib" / "security" / "cacerts"}"' in out, out
    assert "Node Manager starts soa_server1 with JAVA_HOME=/opt/jdk-21 (" f"{other / 'config' / 'config.xml'} " \
        f"<server-start><java-home> of soa_server1), the start scripts with {tmp_path / 'other' / 'jdk-17'}: verify " \
        "how it is started." in " ".join(line.lstrip("# ") for line in out.splitlines()), out


def test_the_node_manager_s_java_home_in_nodemanager_properties_is_said_when_it_differs(
        tmp_path: Path, stores: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """The per-domain Node Manager's nodemanager.properties JavaHome (Oracle's "Reviewing nodemanager.properties":
    the JDK it starts a server with that names none) is said, as setNMJavaHome.sh's is, with its file:line."""
    domain = make_domain(tmp_path, stores, server("soa_server1"))
    (domain / "nodemanager").mkdir()
    (domain / "nodemanager" / "nodemanager.properties").write_text(
        "#Node manager properties\nDomainsFile=/u01/domains/soa_domain/nodemanager/nodemanager.domains\n"
        "JavaHome=/usr/java/jdk1.8.0_202\nStartScriptEnabled=true\n")
    code, out, err = client(domain, capsys=capsys)
    assert code == 0, err
    said = " ".join(line.lstrip("# ") for line in out.splitlines())
    assert "Node Manager starts soa_server1 with JAVA_HOME=/usr/java/jdk1.8.0_202 " \
        f"({domain / 'nodemanager' / 'nodemanager.properties'}:3), the start scripts with " \
        f"{tmp_path / 'jdk-17'}: verify how it is started." in said, out
    assert f'truststore = ["{tmp_path / "jdk-17" / "lib" / "security" / "cacerts"}", ' in out, out  # the scripts' JDK
