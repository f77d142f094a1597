"""The gates, run by pytest exactly as a user runs them, against the simulated staging edge.

The good sandbox passes every gate; each named fault fails exactly the gates its scenario states,
with its own message, and every other test of the run still passes.
"""

from __future__ import annotations

import itertools
import json
import re
from html import escape as html_escape
from pathlib import Path

import pytest

from cutover.base.exit_codes import NOT_PROVEN
from cutover.config import KNOWN_DATACENTERS
from cutover.sandbox import POD_NAMES, SCENARIOS, Scenario
from cutover.sandbox.scenarios import client as client_scenarios
from tests.conftest import run_gates
from tests.outputs.validate import assert_valid

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast

DCS = list(KNOWN_DATACENTERS)
#: The data centres a fault's run serves (--dc): the fault's own and three that must still pass; four, so that a
#: store-wide step is counted ("for 4 data centres"), not listed. The good run above serves all fourteen.
FEW = ["ap1", "em3", "us2", "la1"]
#: The scenarios whose statement is about every data centre ("phases: cut over 28", every other one cut over).
WHOLE = {"after-cutover", "partial-cutover"}
PODS = list(POD_NAMES[:2])
FAULT_DC, FAULT_POD = "us2", POD_NAMES[0]
#: The client's own settings (its JDK's jssecacerts, its options): the same for every pod, so one data centre and one
#: pod show each (--dc us2 --sandbox-pods 1).
CLIENT = {s.name for s in vars(client_scenarios).values() if isinstance(s, Scenario)}


def ipv6_loopback() -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


def every_test(dcs: list[str] = DCS, pods: list[str] = PODS) -> set[tuple[str, str]]:
    pod_ids = [f"{dc}/{pod}" for dc in dcs for pod in pods]
    return ({(g, i) for g in ("staging_resolves", "chain_trusted", "new_cert_staged") for i in pod_ids}
            | {("aliases_present", dc) for dc in dcs} | {("no_lb_cert", dc) for dc in dcs})


def expected_failures(scenario: str, dcs: list[str] = DCS, pods: list[str] = PODS) -> set[tuple[str, str]]:
    scope_ids = {"pod": [f"{FAULT_DC}/{FAULT_POD}"], "dc": [FAULT_DC], "all": dcs,
                 "dc-pods": [f"{FAULT_DC}/{pod}" for pod in pods],
                 "pods": [f"{dc}/{pod}" for dc in dcs for pod in pods]}
    return {(gate, i) for gate, scope in SCENARIOS[scenario].fails for i in scope_ids[scope]}


POD, DC_PODS, ALL = (("chain_trusted", "pod"),), "dc-pods", "all"
DNS3 = (("staging_resolves", "pod"), ("chain_trusted", "pod"), ("new_cert_staged", "pod"))
TLS2 = (("chain_trusted", "pod"), ("new_cert_staged", "pod"))
STAGED = (("new_cert_staged", "pod"),)
#: The fix plan of each fault: (kind of action, the failures it fixes), one entry per step. A store-wide fault
#: is one keytool step for every data centre; a pod's DNS or connection fault is one step for all its gates.
PLANS: dict[str, list[tuple[str, tuple[tuple[str, str], ...]]]] = {
    "no-staging-record": [("provider", DNS3)],
    "staging-servfail": [("network", DNS3)],
    "no-edge-cname": [("provider", DNS3)],
    # The new chain was never seen: chain_trusted and new_cert_staged are fixed by staging_resolves's step.
    "staging-is-production": [("local", DNS3)],
    "missing-intermediate": [("import", (("aliases_present", ALL), ("chain_trusted", "pod")))],
    "untrusted-ca": [("provider", POD), ("provider", STAGED)],
    "hostname-mismatch": [("provider", POD)],
    "expired-leaf": [("provider", POD)],
    "short-lived-leaf": [("provider", POD)],
    "not-staged-yet": [("provider", STAGED)],
    "not-staged-urgent": [("provider", TLS2)],
    "staging-no-answer": [("provider", DNS3)],
    "dns-timeout": [("network", DNS3)],
    "cname-loop": [("network", DNS3)],
    "long-cname-chain": [("provider", DNS3)],
    "refused": [("network", TLS2)],
    "reset": [("network", TLS2)],
    "speaks-http": [("provider", TLS2)],
    "tls10-only": [("provider", POD)],
    "ignores-sni": [("provider", POD), ("provider", STAGED)],
    "chain-of-50": [("provider", POD)],
    "huge-extension": [("provider", POD)],
    "malformed-cert": [("provider", POD), ("provider", STAGED)],
    "silent-dc": [("network", (("chain_trusted", DC_PODS), ("new_cert_staged", DC_PODS)))],
    "staged-cert-not-in-bundle": [("provider", STAGED)],
    "missing-intermediate-alias": [("import", (("aliases_present", ALL),))],
    "stale-intermediate": [("delete", (("aliases_present", ALL),)), ("import", (("aliases_present", ALL),))],
    # The intermediate is kept under another alias: imported under the named one too, the other left alone.
    "intermediate-other-alias": [("import", (("aliases_present", ALL),))],
    "pinned-leaf": [("delete", (("no_lb_cert", "dc"),))],
    "pinned-production-leaf": [("delete", (("no_lb_cert", "dc"),))],
    # One root under the other data centres' aliases: one import under us2's, nothing taken from a neighbour.
    "shared-store": [("import", (("aliases_present", "dc"),))],
    "rolling-staging": [("provider", STAGED)],
    # Production's new chain lacks the intermediate the store lacks too: the import fixes it, as for staging.
    "cutover-broke-trust": [("import", (("aliases_present", ALL), ("chain_trusted", "pod")))],
    # The client's own settings (one data centre, one pod: "pod" is every pod): the store its JSSE reads is the one
    # to import into; a password, an option, SNI are the client's to change, never an import.
    "jssecacerts-lacks-root": [("import", (("aliases_present", ALL), ("chain_trusted", "pod")))] * 2,
    "store-by-option-no-password": [("local", (("aliases_present", ALL), ("chain_trusted", "pod")))],
    "https-protocols": [("local", POD)],
    "https-cipher-suites": [("local", POD)],
    "no-sni": [("local", POD)],
    # A client trusting two files together: what neither holds is imported into the first of its list; a pinned
    # leaf is deleted from the file that holds it (test_a_union_s_plan_names_the_file_to_change).
    "union-root-in-neither": [("import", (("aliases_present", ALL), ("chain_trusted", "pod")))] * 2,
    "union-leaf-in-second": [("delete", (("no_lb_cert", "dc"),))],
}


def in_scope(pairs: tuple[tuple[str, str], ...], dcs: list[str]) -> frozenset[tuple[str, str]]:
    scope_ids = {"pod": [f"{FAULT_DC}/{FAULT_POD}"], "dc": [FAULT_DC], "all": dcs,
                 "dc-pods": [f"{FAULT_DC}/{pod}" for pod in PODS]}
    return frozenset((gate, i) for gate, scope in pairs for i in scope_ids[scope])


def check_fix_plan(scenario: str, doc: dict, failed: set[tuple[str, str]], output: str, dcs: list[str]) -> None:
    """Every failure is named by a step, each keytool command appears once, and the steps are the expected ones."""
    plan = doc["fix_plan"]
    named = {(f["gate"], f["target"]) for step in plan for f in step["fixes"]}
    assert named == failed, f"{scenario}: the plan names {sorted(named)}"
    commands = [step["command"] for step in plan if step["command"]]
    assert len(commands) == len(set(commands))
    # The terminal's plan: its heading, then its numbered, indented steps. (pytest's own short summary may
    # repeat a failure's fix after it: in full under CI=true, where pytest does not shorten those lines.)
    after = output.split("fix plan (", 1)[1].splitlines()[1:]
    shown = "\n".join(itertools.takewhile(lambda line: line.startswith("  "), after))
    for c in commands:  # once in the plan, and printed once in the terminal's plan
        assert shown.count(c) == 1, c
    groups = [0 if s["kind"] in ("delete", "changealias", "import") else 2 if s["owner"] == "provider" else 1
              for s in plan]
    assert groups == sorted(groups), "the store's steps first, then yours, then the provider's"
    if scenario in PLANS:
        got = sorted((s["kind"], sorted((f["gate"], f["target"]) for f in s["fixes"])) for s in plan)
        want = sorted((kind, sorted(in_scope(pairs, dcs))) for kind, pairs in PLANS[scenario])
        assert got == want, f"{scenario}: {[(s['kind'], s['fixes_text']) for s in plan]}"
    for step in plan:  # counted, not listed, past three: a store-wide fault says "for 4 data centres"
        dcs = sum("/" not in f["target"] for f in step["fixes"])
        assert (f"for {dcs} data centres" in step["fixes_text"]) == (dcs > 3), step["fixes_text"]


def test_a_sandbox_password_keytool_would_refuse_is_named_before_anything_starts(tmp_path: Path) -> None:
    """keytool refuses a store password under 6 characters; the run says which variable held it, not keytool."""
    from cutover.sandbox import Sandbox, SandboxError

    said = r"\(\$CUTOVER_SANDBOX_PASSWORD\) has 2 characters; keytool needs at least 6"
    with pytest.raises(SandboxError, match=said):
        Sandbox("good", workdir=tmp_path / "edge", password="pw")
    assert not (tmp_path / "edge").exists()


def test_good_sandbox_passes_every_gate(pytester: pytest.Pytester) -> None:
    run = run_gates(pytester, "--sandbox", "good")
    assert run.result.ret == 0, run.output
    assert set(run.outcomes) == every_test(), "one test per data centre/pod and gate, with readable ids"
    assert run.failed == set()
    assert "ready for cutover: all 112 gate tests passed" in run.output
    assert "SIMULATED run against the sandbox" in run.output
    assert "trust judged by Java" in run.output
    # The unrelated end-entity in the store is a warning, not a failure.
    assert "end-entity entry 'partner-sftp'" in run.output


#: The faults make test runs: for every gate a fault it exists to catch, and one of each kind of cause (DNS, the TLS
#: edge, the store, the client's own settings, a union, a proxy, the lifecycle). Every other scenario is a variation
#: of one of these and runs in the slow tier (make test-slow, which .ci/run runs too): 31 runs of about 6 s each,
#: about a minute of make test on 2 cores.
QUICK = {"no-staging-record", "dns-timeout", "staging-is-production", "hostile-names",
         "untrusted-ca", "missing-intermediate", "hostname-mismatch", "expired-leaf", "refused", "silent-dc",
         "not-staged-yet", "missing-intermediate-alias", "stale-intermediate", "pinned-leaf", "shared-store",
         "jssecacerts-lacks-root", "store-by-option-no-password", "https-protocols",
         "union-root-in-neither", "union-leaf-in-second", "proxy-auth-required", "partial-cutover",
         "cutover-broke-trust"}


def test_the_quick_faults_are_scenarios() -> None:
    assert not QUICK - set(SCENARIOS), sorted(QUICK - set(SCENARIOS))


@pytest.mark.parametrize("scenario", [pytest.param(s, marks=() if s in QUICK else pytest.mark.slow)
                                      for s in SCENARIOS if s != "good"])
def test_each_fault_fails_exactly_its_gates(pytester: pytest.Pytester, scenario: str, tmp_path: Path) -> None:
    if scenario == "ipv6-only-staging" and not ipv6_loopback():
        pytest.skip("this machine has no IPv6 loopback (::1) to serve the IPv6-only staging name on")
    # A silent peer costs its timeouts twice (the JVM's, then Python's fetch of what the JVM never saw): 2 s,
    # not the default 5, keeps the case's 10 s of waiting out of the suite's time; what fails is the same.
    timeout = ("--timeout", "2") if scenario == "silent-dc" else ()
    dcs = DCS if scenario in WHOLE else [FAULT_DC] if scenario in CLIENT else FEW
    pods = PODS[:1] if scenario in CLIENT else PODS
    run = run_gates(pytester, "--sandbox", scenario, f"--reports-dir={tmp_path}", *timeout,
                    *(f"--dc={dc}" for dc in dcs if dcs is not DCS), f"--sandbox-pods={len(pods)}")
    expected = expected_failures(scenario, dcs, pods)
    assert set(run.outcomes) == every_test(dcs, pods), "the sandbox serves the data centres --dc selects"
    assert run.failed == expected, f"{scenario}: failed {sorted(run.failed)}, expected {sorted(expected)}"
    [evidence] = tmp_path.glob("cutover-*.json")
    doc = json.loads(evidence.read_text())
    assert_valid(doc, f"{scenario}'s JSON evidence")  # every scenario's file holds to the shipped schema
    if not expected:  # a scenario that shows advice: everything passes, with a warning
        assert doc["fix_plan"] == [] and "fix plan" not in run.output
        assert run.result.ret == 0, run.output
        assert SCENARIOS[scenario].says in run.output
        return
    assert run.result.ret == 1, run.output
    first_gate, scope = SCENARIOS[scenario].fails[0]
    key = (first_gate, f"{FAULT_DC}/{FAULT_POD}" if scope in ("pod", "dc-pods", "pods") else FAULT_DC)
    assert SCENARIOS[scenario].says in run.messages[key], run.messages[key]
    assert "NOT ready for cutover" in run.output
    check_fix_plan(scenario, doc, expected, run.output, dcs)
    if scenario == "shared-store":  # the exact one-round plan: one import, no rename of a neighbour's alias
        [step] = doc["fix_plan"]
        assert (step["kind"], step["alias"], step["fixes_text"]) == (
            "import", "oracle-us2-root", "aliases_present for us2")
        assert re.fullmatch(r"keytool -importcert -trustcacerts -alias oracle-us2-root "
                            r"-file \S+-certs/[a-z0-9]+-root\.pem -keystore \S+-truststore\.jks -storetype PKCS12 "
                            r"-storepass:env CUTOVER_SANDBOX_PASSWORD -noprompt", step["command"]), step["command"]
    if scenario.startswith("union-"):  # the file each step changes: the first of the list, or the leaf's
        first, demo = doc["clients"]["default"]["truststore_files"]
        assert demo.endswith("-DemoTrust.jks") and doc["truststores"]["default"]["files"][1]["type"] == "JKS"
        want = demo if scenario == "union-leaf-in-second" else first
        assert {(s["store"], s["store_type"]) for s in doc["fix_plan"]} == {(want, "JKS" if want == demo else "PKCS12")}
        assert all(f" -keystore {want} " in s["command"] for s in doc["fix_plan"]), doc["fix_plan"]
    if scenario == "silent-dc":  # the data centre fails alone, within its timeout
        assert "TLS handshake timed out after 2000 ms" in run.messages[("chain_trusted", f"{FAULT_DC}/{FAULT_POD}")]
        assert "timed out after 2s" in run.messages[("new_cert_staged", f"{FAULT_DC}/{FAULT_POD}")]
        # A bound, not a speed claim: a silent peer costs the JVM's connect + handshake timeout, then (the JVM
        # saw no chain) Python's fetch's, never a hang; twice that, for a loaded machine, as before issue 24.
        gathered = float(re.search(r"evidence gathered in ([\d.]+)s", run.output)[1])
        assert gathered < 2 * 2 * (2 + 2), run.output


def test_chain_not_judged_is_a_failure_that_names_the_dns_cause(pytester: pytest.Pytester) -> None:
    run = run_gates(pytester, "--sandbox", "no-staging-record", "--dc", FAULT_DC)
    message = run.messages[("chain_trusted", f"{FAULT_DC}/{FAULT_POD}")]
    assert "not judged" in message and "NXDOMAIN" in message


def test_failures_carry_the_keytool_fix(pytester: pytest.Pytester) -> None:
    run = run_gates(pytester, "--sandbox", "pinned-leaf", "--dc", FAULT_DC)
    message = run.messages[("no_lb_cert", FAULT_DC)]
    assert "keytool -delete -alias us2-lb-cert -keystore" in message
    # The password is read from the gates' own variable: it never sits in a command line, and none asks for it.
    assert "-storepass:env CUTOVER_SANDBOX_PASSWORD -noprompt" in message
    run = run_gates(pytester, "--sandbox", "missing-intermediate-alias", "--dc", FAULT_DC)
    message = run.messages[("aliases_present", FAULT_DC)]
    assert "keytool -importcert -trustcacerts -alias sandbox-issuing-ca-g2" in message


def test_selection_by_dc_and_pod(pytester: pytest.Pytester) -> None:
    """--pod takes the id the run prints (us2/acme-test) and runs only that pod's gates, no store gate; --dc
    alone runs the data centre's pods and store gates."""
    run = run_gates(pytester, "--sandbox", "good", "--pod", "em3/acme-test")
    assert run.result.ret == 0, run.output
    assert set(run.outcomes) == {("staging_resolves", "em3/acme-test"), ("chain_trusted", "em3/acme-test"),
                                 ("new_cert_staged", "em3/acme-test")}
    assert "3 passed, 28 deselected" in run.output  # the 14 data centres' store gates, counted as pytest does
    run = run_gates(pytester, "--sandbox", "good", "--dc", "em3")
    assert run.result.ret == 0, run.output
    assert {("aliases_present", "em3"), ("no_lb_cert", "em3")} <= set(run.outcomes)
    assert {t for _, t in run.outcomes} == {"em3", "em3/acme", "em3/acme-test"}


def test_selection_by_a_bare_pod_name_takes_it_in_every_selected_data_centre(pytester: pytest.Pytester) -> None:
    run = run_gates(pytester, "--sandbox", "good", "--dc", "us2", "--dc", "em3", "--pod", "acme")
    assert run.result.ret == 0, run.output
    assert {t for _, t in run.outcomes} == {"us2/acme", "em3/acme"} and len(run.outcomes) == 6
    wrong = run_gates(pytester, "--sandbox", "good", "--dc", "us2", "--pod", "us3/acme",
                      exit_codes=(pytest.ExitCode.USAGE_ERROR,))
    assert wrong.result.ret == 4, wrong.output
    assert "--pod us3/acme: no such pod in the selected data centres" in wrong.output
    assert "Did you mean 'us2/acme'?" in wrong.output


def test_without_a_jvm_the_verdict_is_loudly_approximate(pytester: pytest.Pytester, tmp_path) -> None:
    no_jdk = tmp_path / "not-a-jdk"
    no_jdk.mkdir()
    run = run_gates(pytester, "--sandbox", "untrusted-ca", "--dc", FAULT_DC, "--java-home", str(no_jdk))
    assert run.failed == {("chain_trusted", f"{FAULT_DC}/{FAULT_POD}"), ("new_cert_staged", f"{FAULT_DC}/{FAULT_POD}")}
    message = run.messages[("chain_trusted", f"{FAULT_DC}/{FAULT_POD}")]
    assert "approximate: no JVM" in message and "no bin/java" in message
    assert "APPROXIMATE engine" in run.output


def test_without_a_jvm_a_union_takes_its_anchors_from_every_file(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """The approximate engine judges a client trusting two files on both: the root in the second file passes, in
    neither fails, as the JVM decides (test_each_fault_fails_exactly_its_gates)."""
    no_jdk = tmp_path / "not-a-jdk"
    no_jdk.mkdir()
    for scenario, failed in (("union-root-in-second", set()), ("union-root-in-neither", expected_failures(
            "union-root-in-neither", [FAULT_DC], PODS[:1]))):
        run = run_gates(pytester, "--sandbox", scenario, "--dc", FAULT_DC, "--sandbox-pods", "1", "--java-home",
                        str(no_jdk))
        assert "APPROXIMATE engine" in run.output and run.failed == failed, run.output


def test_without_a_jvm_options_it_cannot_apply_are_not_judged_never_passed(pytester: pytest.Pytester,
                                                                          tmp_path: Path) -> None:
    """A good staging, a client whose -Dhttps.protocols only its JVM applies, and no JDK: every pod fails as not
    judged, naming the option and the fix (its JDK), where the approximate engine alone would have passed it."""
    no_jdk = tmp_path / "not-a-jdk"
    no_jdk.mkdir()
    run = run_gates(pytester, "--sandbox", "good", "--dc", FAULT_DC, "--java-home", str(no_jdk),
                    "--java-option=-Dhttps.protocols=TLSv1")
    assert run.failed == {("chain_trusted", f"{FAULT_DC}/{pod}") for pod in PODS}, run.output
    message = run.messages[("chain_trusted", f"{FAULT_DC}/{FAULT_POD}")]
    assert "not judged: needs the client's JVM because its java_options set -Dhttps.protocols" in message, message
    assert "run with the client's own JDK" in run.output.split("fix plan (", 1)[1]


def test_dc_without_pods_or_bundle(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    from cutover.sandbox import PASSWORD_ENV, Sandbox

    with Sandbox("good", pods_per_dc=1, datacenters=("us2", "em3", "la1")) as sb:
        text = sb.config_path.read_text()
        text = text.replace('bundle = "certs/em3.zip"\n', "")
        text = text.replace('[datacenters.la1]\nname = "LA1 - Sao Paulo"\npods = ["acme"]',
                            '[datacenters.la1]\nname = "LA1 - Sao Paulo"\npods = []')
        variant = sb.workdir / "variant.toml"
        variant.write_text(text)
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        html = pytester.path / "report.html"
        run = run_gates(pytester, "--datacenters", str(variant), f"--html={html}", exit_codes=(NOT_PROVEN,))
    assert run.outcomes == {
        ("staging_resolves", "us2/acme"): "passed", ("chain_trusted", "us2/acme"): "passed",
        ("staging_resolves", "em3/acme"): "passed", ("chain_trusted", "em3/acme"): "passed",
        ("new_cert_staged", "us2/acme"): "passed", ("new_cert_staged", "em3/acme"): "passed",
        ("aliases_present", "us2"): "passed", ("aliases_present", "em3"): "skipped",
        ("aliases_present", "la1"): "passed", ("no_lb_cert", "us2"): "passed",
        ("no_lb_cert", "em3"): "passed", ("no_lb_cert", "la1"): "passed",
    }
    assert "em3: no bundle configured" in run.messages[("aliases_present", "em3")]
    # Not proven: exit 6, never a green CI job; the terminal, the report and the JSON say what proves it.
    assert "not proven: no gate failed, but 1 gate test(s) were skipped" in run.output
    said = 'em3: no bundle configured, so there is nothing to compare the aliases with; to prove it, set bundle = "..."'
    assert f"  skipped: {said}" in run.output
    page = html.read_text()
    assert "id='cutover-to-prove'" in page and html_escape(said) in page
    assert "Skipped: em3" not in page, "the row's log is the reason as a sentence, not pytest's (file, line, text)"
    assert said in json.loads(html.with_suffix(".json").read_text())["to_prove"][0]


def test_too_old_jdk_is_said_and_the_run_falls_back(pytester: pytest.Pytester, tmp_path) -> None:
    fake = tmp_path / "jdk8"
    (fake / "bin").mkdir(parents=True)
    java = fake / "bin" / "java"
    java.write_text('#!/bin/sh\necho \'openjdk version "1.8.0_392"\' >&2\n'
                    "echo 'Error: Could not find or load main class Probe.java' >&2\nexit 1\n")
    java.chmod(0o755)
    run = run_gates(pytester, "--sandbox", "good", "--dc", FAULT_DC, "--java-home", str(fake))
    assert run.result.ret == 0, run.output
    assert "(Java 1.8.0_392) could not run the probe compiled for Java 8" in run.output
    assert "APPROXIMATE engine" in run.output


def test_java_options_reach_the_judging_jvm(pytester: pytest.Pytester) -> None:
    # A client that runs with revocation checking on rejects chains whose status it cannot learn:
    # the sandbox's certificates name no OCSP responder or CRL, so the judge must say so too.
    run = run_gates(pytester, "--sandbox", "good", "--dc", FAULT_DC,
                    "--java-option=-Dcom.sun.net.ssl.checkRevocation=true")
    assert run.failed == {("chain_trusted", f"{FAULT_DC}/{pod}") for pod in PODS}
    assert "Could not determine revocation status" in run.messages[("chain_trusted", f"{FAULT_DC}/{FAULT_POD}")]
    bad = run_gates(pytester, "--sandbox", "good", "--java-option=-Xmx1g", exit_codes=(pytest.ExitCode.USAGE_ERROR,))
    assert bad.result.ret == pytest.ExitCode.USAGE_ERROR
    assert "is not a system property" in bad.result.stderr.str()


def test_at_judges_on_that_date(pytester: pytest.Pytester) -> None:
    run = run_gates(pytester, "--sandbox", "good", "--dc", FAULT_DC, "--at", "2040-01-01")
    assert run.failed == {("chain_trusted", f"{FAULT_DC}/{pod}") for pod in PODS}
    message = run.messages[("chain_trusted", f"{FAULT_DC}/{FAULT_POD}")]
    assert "(judged at 2040-01-01T00:00:00Z)" in message and "CertificateExpiredException" in message


def test_hostile_names_are_escaped_and_shortened_in_the_terminal(pytester: pytest.Pytester) -> None:
    run = run_gates(pytester, "--sandbox", "hostile-names", "--dc", FAULT_DC)
    assert run.result.ret == 0
    assert "\x1b" not in run.output  # the terminal escape is shown, not obeyed
    assert "\\x1b[31mOwned" in run.output
    assert "X" * 300 not in run.output and "…" in run.output  # ten thousand characters, shortened
    assert max(len(line) for line in run.output.splitlines()) < 1000


def test_one_pods_internal_error_fails_that_pod_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception while gathering one pod's evidence never ends the session."""
    from cutover import evidence as evidence_mod
    from cutover.config import load
    from cutover.sandbox import PASSWORD_ENV, Sandbox
    from cutover.stores import truststore

    real = evidence_mod.resolve_staging_async

    async def flaky(hostname, *args, **kwargs):
        if hostname.startswith("acme-test.fa.us2"):
            raise RuntimeError("simulated bug")
        return await real(hostname, *args, **kwargs)

    monkeypatch.setattr(evidence_mod, "resolve_staging_async", flaky)
    with Sandbox("good", pods_per_dc=2, datacenters=("us2", "em3")) as sb:
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        cfg = load(sb.config_path)
        stores = {cfg.clients[0].name: truststore.read(cfg.clients[0].truststore, sb.password)}
        ev = evidence_mod.gather(cfg, cfg.targets, stores, {})
    bad = ev.pods["us2/acme-test"]
    assert "internal error while resolving" in bad.staging.problem and "simulated bug" in bad.staging.problem
    trust = ev.first.verdicts
    assert all(p.staging.problem is None and trust[k].verdicts[0].ok
               for k, p in ev.pods.items() if k != "us2/acme-test")
