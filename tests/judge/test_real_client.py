"""The truth is the real client: for every client set-up cutover models, its chain_trusted equals what a plain
HttpsURLConnection client (tests/judge/Client.java, no TLS code of its own) gets, run with the same JDK and the
same -D options, reaching the sandbox's staging address through -Djdk.net.hosts.file (the provider's hosts-file
procedure, for one JVM). One data centre, one pod: every set-up is a client of one suite run.

The JDK copies whose lib/security holds a jssecacerts are made once per session, hard links (cp -al) with a
real lib/security folder, so the installed JDK is never written to.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from cutover.judge.java import JVM_SPEED_FLAGS
from cutover.sandbox import INTERMEDIATE_ALIAS, PASSWORD_ENV, ROOT_ALIAS, Sandbox, jdk, pki
from tests.conftest import make_store, run_gates
from tests.plugin.test_clients import clients_toml

pytestmark = pytest.mark.e2e

CLIENT = Path(__file__).with_name("Client.java")
INSTALLED = Path(shutil.which("java") or "/usr/bin/java").resolve().parent.parent
DC, POD = "us2", "acme"
#: A suite an ECDSA-keyed edge cannot serve (RSA key exchange): no cipher suite in common.
RSA_SUITE = "TLS_RSA_WITH_AES_128_GCM_SHA256"


@dataclass(frozen=True)
class SetUp:
    """One client as datacenters.toml says it and as its real JVM is started.

    Attributes:
        name: the [clients.<name>] table.
        table: the table's lines, after its header.
        options: the real client's -D options (its java_options, and for a toml store the option naming it).
        jdk: which JDK ('installed', or a copy's name).
        password: whether the real client's JVM gets -Djavax.net.ssl.trustStorePassword.
        oracle: whether Client.java (HttpsURLConnection) is this client: not for a stack that ignores https.*.
    """

    name: str
    table: str
    options: tuple[str, ...]
    jdk: str = "installed"
    password: bool = False
    oracle: bool = True


@pytest.fixture(scope="session")
def jdk_copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two copies of the installed JDK as the sandbox makes them (cutover.sandbox.jdk: hard links, a lib/security of
    their own whose files are copies, or the symlinks the package ships): `jsse-root` and `jsse-shadow`."""
    if not (INSTALLED / "lib" / "security" / "cacerts").exists():
        pytest.skip(f"{INSTALLED} has no lib/security/cacerts")
    base = tmp_path_factory.mktemp("jdks")
    return {name: jdk.copy(base / name, INSTALLED) for name in ("jsse-root", "jsse-shadow")}


def export(keytool: Path, store: Path, password: str, alias: str, into: Path) -> pki.Issued:
    """The store's certificate under `alias`, as a PEM keytool wrote (only its .pem is used by make_store)."""
    pem = subprocess.run([str(keytool), "-exportcert", "-rfc", "-alias", alias, "-keystore", str(store),
                          "-storepass:env", "PW"], env={"PW": password, "PATH": "/usr/bin:/bin"}, check=True,
                         capture_output=True, timeout=60).stdout
    from cryptography import x509

    return pki.Issued(x509.load_pem_x509_certificate(pem), pki.new_key())


def setups(store: Path) -> list[SetUp]:
    ts = f"-Djavax.net.ssl.trustStore={store}"
    return [
        # The toml names the store; the real client names it by option, with its password.
        SetUp("toml", f'truststore = "{store}"\npassword_env = "{PASSWORD_ENV}"', (ts,), password=True),
        # The store by option, with and without a password: without, its encrypted PKCS12 holds no anchor.
        SetUp("option-pw", f'java_options = ["{ts}"]\npassword_env = "{PASSWORD_ENV}"', (ts,), password=True),
        SetUp("option-nopw", f'java_options = ["{ts}"]', (ts,)),
        SetUp("option-type", f'java_options = ["{ts}", "-Djavax.net.ssl.trustStoreType=PKCS12"]\n'
                             f'password_env = "{PASSWORD_ENV}"', (ts, "-Djavax.net.ssl.trustStoreType=PKCS12"),
              password=True),
        # The installed JDK's own store lacks the sandbox's root.
        SetUp("jdk", 'truststore = "java:default"', ()),
        # A jssecacerts with the root shadows a cacerts without it (the old false red), and the other way.
        SetUp("jsse-root", 'truststore = "java:cacerts"', (), jdk="jsse-root"),
        SetUp("jsse-shadow", 'truststore = "java:default"', (), jdk="jsse-shadow"),
        # HttpsURLConnection applies https.* to every connection: TLS 1.0 (disabled by the JDK) and a cipher suite
        # the edge's key cannot serve end the handshake, whatever the store holds.
        SetUp("protocols", f'truststore = "{store}"\npassword_env = "{PASSWORD_ENV}"\n'
                           'java_options = ["-Dhttps.protocols=TLSv1"]', (ts, "-Dhttps.protocols=TLSv1"),
              password=True),
        SetUp("ciphers", f'truststore = "{store}"\npassword_env = "{PASSWORD_ENV}"\n'
                         f'java_options = ["-Dhttps.cipherSuites={RSA_SUITE}"]',
              (ts, f"-Dhttps.cipherSuites={RSA_SUITE}"), password=True),
        # java.net.http's HttpClient ignores https.protocols: the same option, no failure (no HttpsURLConnection
        # oracle for it: the suite's verdict is asserted below).
        SetUp("jnh", f'truststore = "{store}"\npassword_env = "{PASSWORD_ENV}"\nhttp_client = "java.net.http"\n'
                     'java_options = ["-Dhttps.protocols=TLSv1"]', (), oracle=False),
        # No SNI: the edge serves its default certificate, which names no pod.
        SetUp("nosni", f'truststore = "{store}"\npassword_env = "{PASSWORD_ENV}"\n'
                       'java_options = ["-Djsse.enableSNIExtension=false"]', (ts, "-Djsse.enableSNIExtension=false"),
              password=True),
    ]


def real_client(java_home: Path, options: tuple[str, ...], hosts: Path, url: str, password: str | None) -> str:
    """TRUSTED or FAILED <exception>, from the plain client; the password travels in JDK_JAVA_OPTIONS, which the
    java launcher reads, so it is on no command line."""
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp")}
    if password is not None:
        env["JDK_JAVA_OPTIONS"] = f"-Djavax.net.ssl.trustStorePassword={password}"
    done = subprocess.run([str(java_home / "bin" / "java"), *JVM_SPEED_FLAGS, *options,
                           f"-Djdk.net.hosts.file={hosts}", str(CLIENT), url],
                          env=env, capture_output=True, text=True, timeout=120)
    return (done.stdout.strip().splitlines() or [f"FAILED no output: {done.stderr.strip()[-300:]}"])[-1]


def test_every_set_up_agrees_with_the_real_client(pytester: pytest.Pytester, keytool: Path,
                                                  jdk_copies: dict[str, Path], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox("good", pods_per_dc=1, datacenters=(DC,)) as sb:
        store = sb.truststore_path
        pw = sb.password
        root = export(keytool, store, pw, ROOT_ALIAS, tmp_path)
        inter = export(keytool, store, pw, INTERMEDIATE_ALIAS, tmp_path)
        other = pki.make_root("Someone Else's Root")
        # jsse-root: a JKS jssecacerts (readable with no password, as JSSE opens it) holding the provider's CAs.
        sec = jdk_copies["jsse-root"] / "lib" / "security"
        (sec / "jssecacerts").unlink(missing_ok=True)
        make_store(keytool, sec / "jssecacerts", "changeit", {"root": root, "inter": inter}, storetype="JKS")
        # jsse-shadow: cacerts holds them, a jssecacerts without them hides it.
        sec = jdk_copies["jsse-shadow"] / "lib" / "security"
        for f in ("jssecacerts", "cacerts"):
            (sec / f).unlink(missing_ok=True)
        make_store(keytool, sec / "cacerts", "changeit", {"root": root, "inter": inter}, storetype="JKS")
        make_store(keytool, sec / "jssecacerts", "changeit", {"other": other}, storetype="JKS")
        for f in sec.glob("*.pem"):
            f.unlink()

        cases = setups(store)
        tables = "".join(f"[clients.{s.name}]\n{s.table}\n"
                         + (f'java_home = "{jdk_copies[s.jdk]}"\n' if s.jdk != "installed" else "") + "\n"
                         for s in cases)
        toml = tmp_path / "clients.toml"
        toml.write_text(clients_toml(sb, tables).replace('path = "certs/', f'path = "{sb.workdir}/certs/')
                        .replace('bundle = "certs/', f'bundle = "{sb.workdir}/certs/'))
        monkeypatch.setenv(PASSWORD_ENV, pw)
        run = run_gates(pytester, "--datacenters", str(toml))
        assert run.outcomes, run.output

        host = sb.hostname(DC, POD)
        port = sb.config_path.read_text().split("\nport = ", 1)[1].split("\n", 1)[0]
        url = f"https://{host}:{port}/"
        agree, table = 0, []
        oracles = [s for s in cases if s.oracle]
        for s in oracles:
            suite = run.outcomes.get(("chain_trusted", f"{s.name}:{DC}/{POD}"))
            for ip in sb.staging_ips[:1]:  # the good edge serves one chain at each: one address compared
                hosts = tmp_path / f"hosts-{ip}"
                hosts.write_text(f"{ip} {host}\n")
                real = real_client(jdk_copies.get(s.jdk, INSTALLED), s.options, hosts, url,
                                   pw if s.password else None)
                same = (suite == "passed") == (real == "TRUSTED")
                agree += same
                table.append(f"{s.name}: suite {suite}, real client {real[:160]}{'' if same else '   <-- DIFFERS'}")
        print("\n".join(table))  # with -s: each set-up's two outcomes side by side
        assert agree == len(oracles), "\n".join(table) + "\n" + run.output[-3000:]
        # The expected outcomes, so that agreement is not two wrongs: which set-ups trust the sandbox's chain.
        trusted = {s.name for s in cases if run.outcomes.get(("chain_trusted", f"{s.name}:{DC}/{POD}")) == "passed"}
        assert trusted == {"toml", "option-pw", "option-type", "jsse-root", "jnh"}, "\n".join(table)
        assert "jssecacerts, which JSSE reads instead of its cacerts" in run.output
        assert pw not in run.output
        # A failure of the client's own settings names the setting, never an import into the store.
        said = run.messages[("chain_trusted", f"protocols:{DC}/{POD}")]
        assert "No appropriate protocol" in said and "The client's -Dhttps.protocols=TLSv1, applied as " \
            "HttpsURLConnection applies it to every connection, leaves no protocol or cipher suite that staging " \
            "accepts: change that option; the store is not the cause, and no import fixes it." in said, said
        said = run.messages[("chain_trusted", f"ciphers:{DC}/{POD}")]
        assert f"The client's -Dhttps.cipherSuites={RSA_SUITE}, applied as" in said, said
        said = run.messages[("chain_trusted", f"nosni:{DC}/{POD}")]
        assert "this client sends no SNI, so staging" in said and "served it the edge's default certificate (" in said
        assert "make the client send SNI" in said and f"not {host}'s" in said, said
        plan = run.output.split("fix plan (", 1)[1]
        assert "change or drop -Dhttps.protocols=TLSv1 in the client's options" in plan
        assert "make the client send SNI: drop -Djsse.enableSNIExtension=false" in plan
