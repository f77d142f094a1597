"""`cutover client --pid` on a real JVM: the table it writes names the JDK that runs, the store its options name
(relative, from the JVM's working folder) and the options it got from its command line, an @argfile and
JAVA_TOOL_OPTIONS, and the trust-store password it got only by its presence. The JVM sleeps; it is always killed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cutover.config import load
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

JAVA = Path(shutil.which("java") or "/usr/bin/java").resolve()
SECRET = "Pid-Tru5t-s3cret"
SLEEPER = """public class Sleep {
    public static void main(String[] args) throws Exception {
        System.setProperty("jdk.tls.client.cipherSuites", "TLS_AES_128_GCM_SHA256");  // in code, as programs do
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(120_000);
    }
}
"""
HEAD = """[defaults]
app = "fa"
hostname = "{pod}.{app}.{dc}.oraclecloud.com"

[datacenters.us2]
pods = ["abcd"]
"""


@pytest.fixture
def jvm(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    with sleeping_jvm(tmp_path) as proc:
        yield proc


@contextmanager
def sleeping_jvm(tmp_path: Path, *vm_options: str) -> Iterator[subprocess.Popen[bytes]]:
    """A sleeping JVM started as a client's start script would, in `tmp_path`; killed however the test ends."""
    if not JAVA.is_file():
        pytest.skip("no java on PATH")
    (tmp_path / "Sleep.java").write_text(SLEEPER)
    (tmp_path / "trust.jks").write_bytes(b"\xfe\xed\xfe\xed")
    (tmp_path / "jvm.args").write_text(f'# the start script\'s options\n-Djdk.tls.client.protocols="TLSv1.3"\n'
                                       f'"-Dapp.title=Order sync"\n-Djavax.net.ssl.trustStorePassword={SECRET}\n')
    env = {"PATH": "/usr/bin:/bin", "JAVA_TOOL_OPTIONS": "-Dcom.sun.net.ssl.checkRevocation=false -Dapp.env=test"}
    out = tmp_path / "jvm.out"
    with out.open("w") as sink:
        proc = subprocess.Popen([str(JAVA), *vm_options, "-Djavax.net.ssl.trustStore=trust.jks",
                                 "-Dhttps.protocols=TLSv1.3", "@jvm.args", "Sleep.java", "-Dnot.the.jvms=1"],
                                cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "ready" not in out.read_text():
            assert proc.poll() is None, f"the JVM ended with {proc.returncode}: {out.read_text()}"
            assert time.monotonic() < deadline, "the JVM was not ready within 60 s"
            time.sleep(0.1)
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_the_table_read_from_a_running_jvm_matches_how_it_runs(jvm: subprocess.Popen[bytes], tmp_path: Path) -> None:
    toml = tmp_path / "datacenters.toml"
    toml.write_text(HEAD)
    done = subprocess.run([sys.executable, "-m", "cutover", "client", "--name", "orders", "--pid", str(jvm.pid),
                           "--write", str(toml)], capture_output=True, text=True, cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin"}, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr
    (orders,) = load(toml).clients
    assert orders.java_home == JAVA.parent.parent
    assert (orders.truststore, orders.store_from, orders.working_dir) == (tmp_path / "trust.jks", "option", tmp_path)
    assert orders.java_options == (
        "-Dcom.sun.net.ssl.checkRevocation=false",  # JAVA_TOOL_OPTIONS: read before the command line
        "-Djavax.net.ssl.trustStore=trust.jks",
        "-Dhttps.protocols=TLSv1.3",
        "-Djdk.tls.client.protocols=TLSv1.3",  # from the @argfile, unquoted
        "-Djdk.tls.client.cipherSuites=TLS_AES_128_GCM_SHA256",  # set by the program: from jcmd
    )
    assert orders.password_env == "ORDERS_TRUSTSTORE_PASSWORD"
    text = toml.read_text()
    assert f'"-Djdk.tls.client.protocols=TLSv1.3",  # @argfile {tmp_path}/jvm.args' in text
    assert f'"-Dhttps.protocols=TLSv1.3",  # command line of PID {jvm.pid}' in text
    assert '# "-Dapp.env=test"  # JAVA_TOOL_OPTIONS (environment of PID' in text
    assert f'# "-Dapp.title=Order sync"  # @argfile {tmp_path}/jvm.args' in text
    assert f"# jcmd {jvm.pid} VM.system_properties: set at run time" in text
    assert "not.the.jvms" not in text  # an argument of the program, not of its JVM
    assert SECRET not in text + done.stdout + done.stderr
    assert "export ORDERS_TRUSTSTORE_PASSWORD" in done.stderr
    assert jvm.poll() is None  # read, not disturbed


def test_a_jvm_jcmd_cannot_attach_to_is_said_not_skipped(tmp_path: Path) -> None:
    with sleeping_jvm(tmp_path, "-XX:+DisableAttachMechanism") as proc:
        done = subprocess.run([sys.executable, "-m", "cutover", "client", "--name", "orders", "--pid", str(proc.pid)],
                              capture_output=True, text=True, cwd=ROOT, env={"PATH": "/usr/bin:/bin"},
                              stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr
    said = "properties the program sets at run time were not read (jcmd could not attach: "
    assert f"# {said}" in done.stdout and f"client 'orders': {said}" in done.stderr
    assert "does not support the attach mechanism" in done.stdout
    assert "cipherSuites" not in done.stdout  # set in code only: unknown without jcmd
    assert SECRET not in done.stdout + done.stderr
