"""The table `cutover client --pid` writes judges as the real client fares: two real JVMs (a plain
HttpsURLConnection client, tests/judge/Client.java, told to stay alive so that it can be read) reach the
sandbox's staging address, one with its store's password from an @argfile, one without (its encrypted PKCS12
then holds no anchor); each is read with --pid into one datacenters file, and the gates' chain_trusted for
each client equals what that JVM got. Both JVMs are always killed.

Slow tier: test_client_oracle.py covers the same in make test (a store by JAVA_TOOL_OPTIONS and refused HTTPS
options, by --pid, on one JDK) and every case on every JDK in the slow tier; this one stays as the first, plainest
statement of the claim.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from cutover.judge.java import JVM_SPEED_FLAGS
from cutover.sandbox import Sandbox
from tests.cli.test_client_pid import JAVA
from tests.conftest import ROOT, run_gates
from tests.plugin.test_clients import clients_toml

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DC, POD = "us2", "acme"
#: The oracle of tests/judge/test_real_client.py, told to stay alive after its verdict so that it can be read (--pid).
CLIENT = Path(__file__).resolve().parent.parent / "judge" / "Client.java"


@contextmanager
def client_jvm(folder: Path, options: list[str], url: str, tool_options: str) -> Iterator[tuple[int, str]]:
    """A client JVM started in `folder`: (its PID, its verdict) once it has connected; killed on the way out."""
    out = folder / "jvm.out"
    with out.open("w") as sink:
        proc = subprocess.Popen([str(JAVA), *JVM_SPEED_FLAGS, *options, str(CLIENT), url, "120"], cwd=folder,
                                env={"PATH": "/usr/bin:/bin", "JAVA_TOOL_OPTIONS": tool_options},
                                stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while not any(w in out.read_text() for w in ("TRUSTED", "FAILED")):
            assert proc.poll() is None, f"the client JVM ended with {proc.returncode}: {out.read_text()}"
            assert time.monotonic() < deadline, f"the client JVM had no verdict within 90 s: {out.read_text()}"
            time.sleep(0.1)
        verdict = next(line for line in out.read_text().splitlines() if line.startswith(("TRUSTED", "FAILED")))
        yield proc.pid, verdict
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_the_gates_judge_the_read_table_as_the_real_client_fares(pytester: pytest.Pytester, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    if not JAVA.is_file():
        pytest.skip("no java on PATH")
    with Sandbox("good", pods_per_dc=1, datacenters=(DC,)) as sb, ExitStack() as jvms:
        host = sb.hostname(DC, POD)
        port = sb.config_path.read_text().split("\nport = ", 1)[1].split("\n", 1)[0]
        toml = tmp_path / "datacenters.toml"
        toml.write_text(clients_toml(sb, "").replace('path = "certs/', f'path = "{sb.workdir}/certs/')
                        .replace('bundle = "certs/', f'bundle = "{sb.workdir}/certs/'))
        real = {}
        for name, password in (("withpw", True), ("nopw", False)):
            folder = tmp_path / name
            folder.mkdir()
            (folder / "hosts").write_text(f"{sb.staging_ips[0]} {host}\n")
            (folder / "jvm.args").write_text("-Dhttps.protocols=TLSv1.3,TLSv1.2\n"
                                             + (f'"-Djavax.net.ssl.trustStorePassword={sb.password}"\n'
                                                if password else ""))
            options = [f"-Djavax.net.ssl.trustStore={sb.truststore_path}", "-Djdk.net.hosts.file=hosts", "@jvm.args"]
            pid, real[name] = jvms.enter_context(client_jvm(folder, options, f"https://{host}:{port}/",
                                                            "-Djdk.tls.client.protocols=TLSv1.3,TLSv1.2"))
            done = subprocess.run([sys.executable, "-m", "cutover", "client", "--name", name, "--pid", str(pid),
                                   "--write", str(toml)], capture_output=True, text=True, cwd=ROOT,
                                  env={"PATH": "/usr/bin:/bin"}, stdin=subprocess.DEVNULL, timeout=60)
            assert done.returncode == 0, done.stderr
            assert sb.password not in done.stdout + done.stderr + toml.read_text()
        monkeypatch.setenv("WITHPW_TRUSTSTORE_PASSWORD", sb.password)
        run = run_gates(pytester, "--datacenters", str(toml), "--pod", f"{DC}/{POD}")
        suite = {name: run.outcomes.get(("chain_trusted", f"{name}:{DC}/{POD}")) for name in real}
        assert real["withpw"] == "TRUSTED" and real["nopw"].startswith("FAILED"), real  # the two differ
        assert suite == {"withpw": "passed", "nopw": "failed"}, f"{suite} {real}\n{run.output[-3000:]}"
        assert sb.password not in run.output
