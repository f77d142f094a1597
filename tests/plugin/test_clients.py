"""Several Java clients in one run: per-client gates and ids, one DNS look-up and one chain fetch per
pod however many clients, each client's verdicts its own."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from cutover.sandbox import INTERMEDIATE_ALIAS, PASSWORD_ENV, ROOT_ALIAS, Sandbox
from tests.conftest import run_gates

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast

CACERTS = Path("/etc/ssl/certs/java/cacerts")
DCS = ("us2", "em3")
PODS = ("acme", "acme-test")


def per_pod(sb: Sandbox) -> dict[str, tuple[int, int]]:
    """(DNS queries, TLS connections) per pod, from the sandbox's own counters."""
    queries, connections = sb.counters()
    out = {}
    for dc in DCS:
        i = sb.place(dc)
        for j, pod in enumerate(PODS):
            host = sb.hostname(dc, pod)
            dns = sum(n for (name, _), n in queries.items() if name.startswith(host) or
                      name.startswith(f"e{1000 + i * 256 + j}.a.akamaiedge"))
            tls = connections.get(f"127.10.{i}.{j + 1}", 0) + connections.get(f"127.20.{i}.{j + 1}", 0)
            out[f"{dc}/{pod}"] = (dns, tls)
    return out


def clients_toml(sb: Sandbox, clients: str) -> str:
    """The sandbox's own datacenters.toml with its [truststore] replaced by `clients`."""
    text = sb.config_path.read_text()
    head, _, rest = text.partition("[truststore]\n")
    rest = rest.split("\n\n", 1)[1]
    return head + clients + "\n" + rest


def import_cert(keytool: Path, store: Path, alias: str, pem: bytes, password: str) -> None:
    pem_file = store.with_name(f"{alias}.pem")
    pem_file.write_bytes(pem)
    subprocess.run([str(keytool), "-importcert", "-noprompt", "-trustcacerts", "-alias", alias, "-file",
                    str(pem_file), "-keystore", str(store), "-storepass:env", "PW"],
                   env={"PW": password, "PATH": "/usr/bin:/bin"}, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory, keytool: Path):  # type: ignore[no-untyped-def]
    """A sandbox and three clients: `good` (the sandbox's store), `nointer` (a copy of it without the
    intermediate), `jdk` (a copy of the JDK's own cacerts with the provider's root and intermediate)."""
    if not CACERTS.is_file():
        pytest.skip(f"{CACERTS} is missing (.ci/run installs ca-certificates-java)")
    with Sandbox("good", pods_per_dc=len(PODS), datacenters=DCS) as sb:
        work = tmp_path_factory.mktemp("clients")
        nointer = work / "nointer.jks"
        shutil.copy(sb.truststore_path, nointer)
        subprocess.run([str(keytool), "-delete", "-alias", INTERMEDIATE_ALIAS, "-keystore", str(nointer),
                        "-storepass:env", "PW"], env={"PW": sb.password, "PATH": "/usr/bin:/bin"}, check=True,
                       capture_output=True, timeout=60)
        jdk = work / "jdk-cacerts-plus-provider.jks"
        shutil.copy(CACERTS, jdk)
        jdk.chmod(0o600)
        bundle = sb.workdir / "certs" / "us2.zip"
        import zipfile

        with zipfile.ZipFile(bundle) as z:
            import_cert(keytool, jdk, ROOT_ALIAS, z.read("SandboxRootCAG2.crt.pem"), "changeit")
            import_cert(keytool, jdk, INTERMEDIATE_ALIAS, z.read("SandboxTLSIssuingCAG22026.crt.pem"), "changeit")
        toml = sb.workdir / "clients.toml"  # beside the sandbox's bundles, which its paths name
        toml.write_text(clients_toml(sb, f"""[clients.good]
truststore = "{sb.truststore_path}"
password_env = "{PASSWORD_ENV}"

[clients.nointer]
truststore = "{nointer}"
password_env = "{PASSWORD_ENV}"

[clients.jdk]
truststore = "{jdk}"
password_env = "JDK_COPY_PASSWORD"
"""))
        yield sb, toml


def test_three_clients_fail_exactly_the_second_with_the_same_network_traffic(
        three, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    sb, toml = three
    monkeypatch.setenv(PASSWORD_ENV, sb.password)
    monkeypatch.setenv("JDK_COPY_PASSWORD", "changeit")
    sb.reset_counters()
    one = run_gates(pytester, "--datacenters", str(sb.config_path))
    assert one.result.ret == 0, one.output
    traffic_one = per_pod(sb)
    sb.reset_counters()
    run = run_gates(pytester, "--datacenters", str(toml), "--reports-dir", str(pytester.path / "reports"))
    traffic_three = per_pod(sb)

    pod_ids = [f"{dc}/{pod}" for dc in DCS for pod in PODS]
    clients = ("good", "nointer", "jdk")
    expected = ({(g, p) for g in ("staging_resolves", "new_cert_staged") for p in pod_ids}
                | {("chain_trusted", f"{c}:{p}") for c in clients for p in pod_ids}
                | {(g, f"{c}:{dc}") for g in ("aliases_present", "no_lb_cert") for c in clients for dc in DCS})
    assert set(run.outcomes) == expected
    assert run.failed == {("aliases_present", f"nointer:{dc}") for dc in DCS}, run.output
    assert f"alias '{INTERMEDIATE_ALIAS}' is missing" in run.messages[("aliases_present", "nointer:us2")]
    assert "clients not ready: nointer" in run.output
    # What the network shows is asked once per pod, however many clients judge it.
    assert traffic_three == traffic_one, (traffic_one, traffic_three)
    assert all(dns > 0 and tls > 0 for dns, tls in traffic_one.values())
    assert "3 clients, 1 JVM(s)" in run.output

    import json

    doc = json.loads(next((pytester.path / "reports").glob("*.json")).read_text())
    gated = Counter(r["client"] for r in doc["records"])
    per_client = len(pod_ids) + 2 * len(DCS)
    assert gated == {None: 2 * len(pod_ids), "good": per_client, "nointer": per_client, "jdk": per_client}
    assert set(doc["clients"]) == set(clients)
    assert all(len(c["truststore_sha256"]) == 64 and c["judge"]["engine"] == "jvm" for c in doc["clients"].values())
    assert not doc["ready"] and "nointer" in doc["verdict"]
    # The fix plan: one import into the one store that lacks the intermediate, named by its client's tests.
    [step] = doc["fix_plan"]
    assert (step["kind"], step["alias"], step["client"]) == ("import", INTERMEDIATE_ALIAS, "nointer")
    assert step["store"].endswith("nointer.jks") and f"-keystore {step['store']}" in step["command"]
    assert step["fixes_text"] == "aliases_present for nointer:us2, nointer:em3"
    html = next((pytester.path / "reports").glob("*.html")).read_text()
    for name in clients:
        assert f"client {name}</th>" in html
        assert f"Truststore of client {name}" in html


def test_client_selection_and_a_second_jvm_for_other_options(
        three, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    sb, toml = three
    monkeypatch.setenv(PASSWORD_ENV, sb.password)
    text = toml.read_text().replace('[clients.nointer]', '[clients.nointer]\njava_options = '
                                    '["-Djdk.tls.client.protocols=TLSv1.2"]\ndatacenters = ["em3"]')
    variant = toml.with_name("two-jvms.toml")
    variant.write_text(text)
    run = run_gates(pytester, "--datacenters", str(variant), "--client", "good", "--client", "nointer")
    assert {k[1].split(":")[0] for k in run.outcomes if ":" in k[1]} == {"good", "nointer"}
    assert ("chain_trusted", "nointer:em3/acme") in run.outcomes
    assert ("chain_trusted", "nointer:us2/acme") not in run.outcomes  # it talks to em3 only
    assert run.failed == {("aliases_present", "nointer:em3")}
    assert "2 clients, 2 JVM(s)" in run.output
    assert "JVM options for client nointer" not in run.output  # in the report's environment, not the terminal


def test_pod_as_printed_for_one_client_runs_that_clients_gates_of_that_pod_only(
        three, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """`--pod nointer:us2/acme`, the id a several-client run prints: the pod's network gates and nointer's
    chain_trusted; no other client's gate and no store gate."""
    sb, toml = three
    monkeypatch.setenv(PASSWORD_ENV, sb.password)
    monkeypatch.setenv("JDK_COPY_PASSWORD", "changeit")
    run = run_gates(pytester, "--datacenters", str(toml), "--pod", "nointer:us2/acme")
    assert run.result.ret == 0, run.output
    assert set(run.outcomes) == {("staging_resolves", "us2/acme"), ("new_cert_staged", "us2/acme"),
                                 ("chain_trusted", "nointer:us2/acme")}, run.output
    wrong = run_gates(pytester, "--datacenters", str(toml), "--pod", "soa:us2/acme",
                      exit_codes=(pytest.ExitCode.USAGE_ERROR,))
    assert wrong.result.ret == 4, wrong.output
    assert "--pod soa:us2/acme: no client 'soa' among this run's clients" in wrong.output


def test_java_cacerts_resolves_the_jdks_own_store(three, pytester: pytest.Pytester,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The JDK's own store does not hold the sandbox's private root: its JVM rejects the chain, and says so."""
    sb, toml = three
    monkeypatch.setenv(PASSWORD_ENV, sb.password)
    import re

    text = re.sub(r"\[clients\.jdk\]\n[^\[]*", '[clients.batch]\ntruststore = "java:cacerts"\n\n', toml.read_text())
    variant = toml.with_name("cacerts.toml")
    variant.write_text(text)
    run = run_gates(pytester, "--datacenters", str(variant), "--dc", "us2")
    assert run.failed == {("chain_trusted", "batch:us2/acme"), ("chain_trusted", "batch:us2/acme-test"),
                          ("aliases_present", "batch:us2"), ("aliases_present", "nointer:us2")}
    assert "unable to find valid certification path" in run.messages[("chain_trusted", "batch:us2/acme")]
    # One import per client's store; batch's rejected chains are filed under batch's own import.
    section = run.output.split("fix plan (", 1)[1].split("\nverdict:", 1)[0]
    lines = [line.strip() for line in section.splitlines()[1:]]
    # The password of each store set once, on top (no command asks for it); then which stores the commands change.
    assert lines[0].startswith("Set the store password once"), lines
    [then] = [line for line in lines if line.startswith("Then run the keytool commands below")]
    assert "nointer.jks" in then and "cacerts" in then, then
    # Each step's line, then its command alone (this run writes no files: the zip member is named, the
    # extraction said on a line of its own before the command).
    steps = [line for line in lines if line[:1].isdigit()]
    commands = [line for line in lines if line.startswith("keytool ")]
    assert len(commands) == len(steps) and all(" #" not in c for c in commands), lines
    assert all(line.startswith(f"{i}. import ") for i, line in enumerate(steps, 1)), lines
    assert all(c.startswith("keytool -importcert") for c in commands), lines
    by_store = Counter("nointer" if "nointer.jks" in line else "batch" for line in commands)
    assert by_store == {"batch": 2, "nointer": 1}, lines  # batch's JDK store lacks the root and the intermediate
    assert all(" in " in line for line in steps), "several stores: each step names the store it changes"
    fixes = {line.rpartition("(fixes ")[2] for line in steps}
    assert fixes == {"aliases_present for batch:us2 and chain_trusted for batch:us2/acme, batch:us2/acme-test):",
                     "aliases_present for nointer:us2):"}, lines
    assert "JDK_COPY_PASSWORD" not in run.output and "changeit" not in run.output
