"""Several clients behind proxies: each client's JVM goes through its own -Dhttps.proxyHost, as it would."""

from __future__ import annotations

import json

import pytest

from cutover.sandbox import PASSWORD_ENV, Sandbox
from tests.conftest import run_gates
from tests.test_clients import clients_toml

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast


def test_each_clients_jvm_uses_its_own_proxy(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox("via-proxy", pods_per_dc=1, datacenters=("us2", "em3")) as sb:
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        toml = sb.workdir / "clients.toml"  # beside the sandbox's bundles, which its paths name
        toml.write_text(clients_toml(sb, f"""[clients.direct]
truststore = "{sb.truststore_path}"
password_env = "{PASSWORD_ENV}"

[clients.corp]
truststore = "{sb.truststore_path}"
password_env = "{PASSWORD_ENV}"
java_options = ["-Dhttps.proxyHost={sb.proxy.host}", "-Dhttps.proxyPort={sb.proxy.port}"]
"""))
        run = run_gates(pytester, "--datacenters", str(toml), "--no-proxy", f"--reports-dir={pytester.path / 'r'}")
        log = sb.proxy_log
        staging = {f"{ip}:{sb.config_path.read_text().split('port = ')[1].split()[0]}" for ip in sb.staging_ips}
        url = sb.proxy.url
    assert run.result.ret == 0, run.output
    # Only the corp client's JVM went through the proxy, once per staging and production address (what clients
    # get today); ours and direct's did not.
    production = {t.replace("127.20.", "127.10.", 1) for t in staging}
    assert sorted(e.target for e in log) == sorted(staging | production)
    assert {e.user_agent.split(" ")[0] for e in log} == {"cutover-probe"}
    doc = json.loads(next((pytester.path / "r").glob("*.json")).read_text())
    trusted = {r["client"]: r for r in doc["records"] if r["gate"] == "chain_trusted" and r["dc"] == "us2"}
    assert f"through proxy {url} (-Dhttps.proxyHost in the client's java_options)" in trusted["corp"]["message"]
    assert "through proxy" not in trusted["direct"]["message"]
    assert doc["environment"]["JVM's proxy for client corp"].startswith(url)
    assert "JVM's proxy for client direct" not in doc["environment"]
