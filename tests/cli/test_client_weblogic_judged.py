"""A WebLogic server's Demo trust read by `cutover client --weblogic-domain` and judged by the gates as the union
WebLogic trusts (issue 36's done-when: "Demo trust is judged as the union").

Two domains as Oracle documents them (no <key-stores>: DemoIdentityAndDemoTrust, "Configuring Keystores",
Administering Security for Oracle WebLogic Server 12.2.1.4), each on the JDK installed here: one whose
WL_HOME/server/lib/DemoTrust.jks holds the provider's root, one whose DemoTrust.jks holds another root. The JDK's
cacerts holds neither, so only the union can trust the chain; the second's fix goes into cacerts, the first file.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from pathlib import Path

import pytest

from cutover.cli import main as cutover
from cutover.sandbox import Sandbox, pki
from tests.cli.test_client_oracle import JDKS, keytool_import
from tests.cli.test_client_weblogic import NS, SET_DOMAIN_ENV, server
from tests.conftest import run_gates
from tests.plugin.test_clients import clients_toml

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DC, POD = "us2", "acme"


def domain(folder: Path, java_home: Path, demo: dict[str, bytes]) -> Path:
    """A domain with one server and no <key-stores>, its WL_HOME's DemoTrust.jks holding `demo` (alias -> PEM)."""
    wl_home, home = folder / "wlserver", folder / "domains" / "base_domain"
    (wl_home / "server" / "lib").mkdir(parents=True)
    for alias, pem in demo.items():
        keytool_import(java_home, wl_home / "server" / "lib" / "DemoTrust.jks", alias, pem)
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.xml").write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<domain xmlns="{NS}">\n'
                                                f"  <name>base_domain</name>\n{server('AdminServer')}</domain>\n")
    (home / "bin").mkdir()
    (home / "bin" / "setDomainEnv.sh").write_text(SET_DOMAIN_ENV.format(wl_home=wl_home, jdk=java_home))
    return home


def test_demo_trust_is_judged_as_the_union_of_cacerts_and_demotrust(pytester: pytest.Pytester,
                                                                      tmp_path: Path) -> None:
    java_home = JDKS["jdk17"]
    if not (java_home / "lib" / "security" / "cacerts").is_file():
        pytest.skip(f"{java_home} is not installed here")
    with Sandbox("good", pods_per_dc=1, datacenters=(DC,)) as sb:
        toml = tmp_path / "datacenters.toml"
        toml.write_text(clients_toml(sb, "").replace('path = "certs/', f'path = "{sb.workdir}/certs/')
                        .replace('bundle = "certs/', f'bundle = "{sb.workdir}/certs/'))
        with zipfile.ZipFile(sb.workdir / "certs" / f"{DC}.zip") as z:  # under the aliases the data centre expects
            provider = {"sandbox-root-g2": z.read("SandboxRootCAG2.crt.pem"),
                        "sandbox-issuing-ca-g2": z.read("SandboxTLSIssuingCAG22026.crt.pem")}
        other = {"certgencab": pki.make_root("Oracle WebLogic Demo CA", org="Oracle").pem}
        for name, pem in (("trusting", provider), ("lacking", other)):
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                code = cutover(["client", "--name", name, "--weblogic-domain",
                                str(domain(tmp_path / name, java_home, pem)), "--write", str(toml)])
            assert code == 0, out.getvalue()
        cacerts = java_home / "lib" / "security" / "cacerts"
        assert toml.read_text().count(f'truststore = ["{cacerts}", "') == 2, toml.read_text()
        run = run_gates(pytester, "--datacenters", str(toml), timeout=600)
    mine = {k: v for k, v in run.outcomes.items() if k[0] in ("chain_trusted", "aliases_present", "no_lb_cert")}
    assert mine == {("chain_trusted", f"trusting:{DC}/{POD}"): "passed",
                    ("aliases_present", f"trusting:{DC}"): "passed", ("no_lb_cert", f"trusting:{DC}"): "passed",
                    ("chain_trusted", f"lacking:{DC}/{POD}"): "failed", ("aliases_present", f"lacking:{DC}"): "failed",
                    ("no_lb_cert", f"lacking:{DC}"): "passed"}, run.output[-4000:]
    # The fix for the one that lacks the root goes into the first file, the JDK's cacerts, never DemoTrust.jks.
    # The plan alone: pytest's short summary repeats each failure's fix after it, in full under CI=true.
    plan = run.output.split("fix plan (", 1)[1].split("\nverdict:", 1)[0]
    imports = [line for line in plan.splitlines() if line.strip().startswith("keytool -importcert")]
    if cacerts.is_symlink():  # Debian's: every JDK package's cacerts is one shared file, and the plan says so
        assert f"reached through a symbolic link: keytool changes {cacerts.resolve()}" in plan, plan
    assert len(imports) == 2 and all(f"-keystore {cacerts} " in line for line in imports), plan
