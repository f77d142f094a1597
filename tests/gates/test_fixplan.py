"""The fix plan as a library function: equal remedies merged, ordered, each naming what it fixes."""

from __future__ import annotations

import shlex

import pytest

from cutover.config import KNOWN_DATACENTERS
from cutover.gates.fixplan import PROVIDER, TRUST_PATH, Action, Step, keytool_args, plan, with_files
from cutover.gates.outcomes import Record
from cutover.gates.verdict import GateVerdict, with_cert_files
from cutover.judge.reasons import VerdictFailure
from cutover.outputs.fixtext import command, commands, fixes_text, plan_json, plan_lines, sentence

STORE = "/stores/client truststore.jks"  # a space: the command must quote it
INTER = "AB" * 32


def on_store(kind: str, alias: str, *, sha: str | None = INTER, dest: str | None = None,
             file: str | None = None) -> Action:
    return Action(kind, store=STORE, store_type="PKCS12", alias=alias, dest_alias=dest, sha256=sha,
                  subject="CN=Issuing CA", file=file)


def failed(gate: str, target: str, *actions: Action, sr: str | None = None) -> Record:
    return Record(f"checks/test_{gate}.py::test_{gate}[{target}]", gate, target, "failed", "message",
                  actions=list(actions), sr=sr)


def test_no_failure_no_plan() -> None:
    passed = Record("checks/test_x.py::test_no_lb_cert[us2]", "no_lb_cert", "us2", "passed",
                    actions=[on_store("delete", "x")])
    skipped = Record("checks/test_x.py::test_aliases_present[us2]", "aliases_present", "us2", "skipped")
    assert plan([passed, skipped]) == ()
    assert plan([]) == ()


def test_one_import_for_fourteen_data_centres_and_the_pod_it_also_fixes() -> None:
    records = [failed("aliases_present", dc, on_store("import", "issuing-ca", file=f"/certs/{dc}.zip!inter.pem"))
               for dc in KNOWN_DATACENTERS]
    records.append(failed("chain_trusted", "us2/acme", Action(TRUST_PATH, "serve the right chain"), sr="3-1"))
    [step] = plan(records)
    assert step.action.kind == "import" and step.owner == "you"
    assert fixes_text(step) == "aliases_present for 14 data centres and chain_trusted for us2/acme"
    assert len(step.fixes) == 15
    # Without certificate files (a run that writes no reports) the member is named; the command stays one
    # command, with nothing after it, and the extraction is said on a line of its own.
    assert command(step.action) == ("keytool -importcert -trustcacerts -alias issuing-ca -file inter.pem -keystore "
                                   "'/stores/client truststore.jks' -storetype PKCS12 -noprompt")
    assert shlex.split(command(step.action))[-4] == STORE
    lines = plan_lines([step])
    assert lines[1:] == ["1. import CN=Issuing CA under alias 'issuing-ca' (fixes aliases_present for 14 data centres "
                         "and chain_trusted for us2/acme):",
                         "   first extract inter.pem from /certs/ca2.zip into that folder (this run wrote no "
                         "certificate files)", f"   {command(step.action)}"]
    assert "asks for the store password" in lines[0] and STORE in lines[0]
    assert sentence(step).startswith("run once: keytool -importcert") and sentence(step).endswith(
        "(fixes aliases_present for 14 data centres and chain_trusted for us2/acme)")


def test_store_steps_in_keytool_order_then_yours_then_the_providers_per_sr() -> None:
    records = [
        failed("new_cert_staged", "us2/acme", Action(PROVIDER, "activate it"), sr="3-2"),
        failed("chain_trusted", "em3/acme", Action("network", "open the path"), sr="3-1"),
        failed("aliases_present", "us2", on_store("import", "issuing-ca"), on_store("changealias", "old", dest="root")),
        failed("aliases_present", "em3", on_store("delete", "issuing-ca", sha="CD" * 32),
               on_store("import", "issuing-ca")),
        failed("new_cert_staged", "em3/acme", Action(PROVIDER, "activate it"), sr="3-1"),
        failed("new_cert_staged", "la1/acme", Action(PROVIDER, "activate it")),
        failed("no_lb_cert", "us2", on_store("delete", "us2-lb", sha="EF" * 32)),
    ]
    steps = plan(records)
    assert [(s.action.kind, s.action.alias or s.action.text, s.sr) for s in steps] == [
        ("delete", "issuing-ca", None), ("delete", "us2-lb", None), ("changealias", "old", None),
        ("import", "issuing-ca", None), ("network", "open the path", None),
        ("provider", "activate it", "3-2"), ("provider", "activate it", "3-1"), ("provider", "activate it", None)]
    assert steps[3].fixes == (("aliases_present", "us2"), ("aliases_present", "em3"))
    assert sentence(steps[5]) == "ask the provider on SR 3-2: activate it (fixes new_cert_staged for us2/acme)"
    assert sentence(steps[7]).startswith("ask the provider (no SR set for these pods): activate it")
    lines = plan_lines(steps)
    assert lines[1:3] == ["1. delete alias 'issuing-ca' (fixes aliases_present for em3):",
                          f"   {command(steps[0].action)}"]
    assert lines[3].startswith("2. delete alias 'us2-lb'") and lines[-1].startswith("8. ask the provider")
    doc = plan_json(steps)
    assert [d["step"] for d in doc] == list(range(1, 9))
    assert doc[1] | {"fixes": None} == doc[1] | {
        "kind": "delete", "owner": "you", "alias": "us2-lb", "sha256": "EF" * 32, "store": STORE,
        "store_type": "PKCS12", "fixes": None}
    assert doc[1]["fixes"] == [{"gate": "no_lb_cert", "target": "us2"}]


def test_a_chain_with_no_path_is_the_providers_when_the_store_lacks_nothing() -> None:
    records = [failed("chain_trusted", "us2/acme", Action(TRUST_PATH, "serve the chain of the bundle"), sr="3-9"),
               failed("aliases_present", "em3", on_store("import", "issuing-ca"))]
    steps = plan(records)
    assert [(s.action.kind, s.fixes) for s in steps] == [
        ("import", (("aliases_present", "em3"),)), ("provider", (("chain_trusted", "us2/acme"),))]
    assert sentence(steps[1]) == "ask the provider on SR 3-9: serve the chain of the bundle (fixes chain_trusted " \
                                "for us2/acme)"


def test_every_failure_is_named_even_without_a_remedy() -> None:
    [step] = plan([failed("staging_resolves", "us2/acme")])
    assert step.action.kind == "investigate" and step.fixes == (("staging_resolves", "us2/acme"),)
    assert sentence(step).startswith("look into: the test failed without a verdict")


@pytest.mark.parametrize(("fixes", "text"), [
    ((("chain_trusted", "us2/acme"),), "chain_trusted for us2/acme"),
    ((("no_lb_cert", "us2"), ("no_lb_cert", "em3"), ("no_lb_cert", "la1")), "no_lb_cert for us2, em3, la1"),
    (tuple(("new_cert_staged", f"us2/p{i}") for i in range(4)), "new_cert_staged for 4 pods"),
    ((("staging_resolves", "us2/a"), ("chain_trusted", "us2/a"), ("new_cert_staged", "us2/a")),
     "staging_resolves, chain_trusted and new_cert_staged for us2/a"),
    ((("chain_trusted", "us2/a"), ("new_cert_staged", "us2/a"), ("chain_trusted", "us2/b")),
     "chain_trusted for us2/a, us2/b and new_cert_staged for us2/a"),
    ((("chain_trusted", "us2/a"), ("new_cert_staged", "us2/a"), ("aliases_present", "us2")),
     "chain_trusted and new_cert_staged for us2/a; aliases_present for us2"),
])
def test_fixes_are_counted_or_named(fixes: tuple[tuple[str, str], ...], text: str) -> None:
    assert fixes_text(Step(Action(PROVIDER, "x"), fixes)) == text


def test_actions_travel_as_plain_data() -> None:
    for a in (on_store("import", "a", file="/z.zip!m.pem"), on_store("changealias", "a", dest="b"),
              Action(PROVIDER, "ask")):
        assert Action.from_json(a.to_json()) == a


def test_store_steps_are_grouped_per_client_store() -> None:
    """Two clients with their own stores get a step each; a chain is filed under its own client's import."""
    def client_import(client: str, store: str) -> Action:
        return Action("import", store=store, store_type="JKS", alias="issuing-ca", sha256=INTER, client=client)

    records = [
        Record("checks/test_aliases_present.py::test_aliases_present[soa:us2]", "aliases_present", "us2", "failed",
               actions=[client_import("soa", "/b/soa.jks")], client="soa"),
        Record("checks/test_aliases_present.py::test_aliases_present[batch:us2]", "aliases_present", "us2",
               "failed", actions=[client_import("batch", "/a/batch.jks")], client="batch"),
        Record("checks/test_no_lb_cert.py::test_no_lb_cert[soa:us2]", "no_lb_cert", "us2", "failed",
               actions=[Action("delete", store="/b/soa.jks", store_type="JKS", alias="lb", client="soa")],
               client="soa"),
        Record("checks/test_chain_trusted.py::test_chain_trusted[batch:us2/acme]", "chain_trusted", "us2/acme",
               "failed", actions=[Action(TRUST_PATH, "serve the chain", client="batch")], client="batch"),
    ]
    steps = plan(records)
    assert [(s.action.store, s.action.kind, fixes_text(s)) for s in steps] == [
        ("/a/batch.jks", "import", "aliases_present for batch:us2 and chain_trusted for batch:us2/acme"),
        ("/b/soa.jks", "delete", "no_lb_cert for soa:us2"),
        ("/b/soa.jks", "import", "aliases_present for soa:us2"),
    ]


def test_keytool_args_one_builder_for_the_printed_command_and_the_run() -> None:
    """What prepare runs is what the plan prints, plus the password from the environment and -noprompt."""
    rename = on_store("changealias", "old", dest="new")
    assert keytool_args(rename) == ["-changealias", "-alias", "old", "-destalias", "new", "-keystore", STORE,
                                    "-storetype", "PKCS12"]
    assert command(rename) == "keytool " + " ".join(shlex.quote(a) for a in keytool_args(rename))
    imp = on_store("import", "issuing-ca", file="/certs/us2.zip!inter.pem")
    assert keytool_args(imp, store_password_env="PW", file="/tmp/x.der") == [
        "-importcert", "-trustcacerts", "-alias", "issuing-ca", "-file", "/tmp/x.der", "-keystore", STORE,
        "-storetype", "PKCS12", "-storepass:env", "PW", "-noprompt"]
    with pytest.raises(ValueError, match="not a keytool action"):
        keytool_args(Action(PROVIDER, "serve the right chain"))


def test_a_step_reads_back_from_its_json() -> None:
    [step] = plan([failed("no_lb_cert", "us2", on_store("delete", "lb", sha=None)),
                   failed("no_lb_cert", "em3", on_store("delete", "lb", sha=None))])
    assert Step.from_json(plan_json([step])[0]) == step


def test_imports_name_the_certificate_files_written_beside_the_report() -> None:
    """The run replaces a zip member by the PEM it writes; deletes and other certificates are left alone."""
    zipped = on_store("import", "issuing-ca", file="/certs/us2.zip!inter.pem")
    other = on_store("import", "root", sha="CD" * 32, file="/certs/us2.zip!root.pem")
    delete = on_store("delete", "old")
    placed = with_files([zipped, other, delete], {INTER: "reports/run-certs/us2-intermediate.pem"})
    assert placed[0].file == "reports/run-certs/us2-intermediate.pem" and placed[0].zipped is None
    assert command(placed[0]) is not None and "-file reports/run-certs/us2-intermediate.pem " in command(placed[0])
    assert placed[1:] == (other, delete)
    verdict = with_cert_files(GateVerdict(False, "m", (), (zipped, delete)), {INTER: "c/us2-intermediate.pem"})
    remedy = commands(verdict.actions)
    assert remedy == tuple(command(a) for a in verdict.actions) and "-file c/us2-intermediate.pem" in remedy[0]
    # keytool's yes/no questions are answered on imports (a root already under another alias is added, not
    # skipped with exit 0); the password is still asked, and never written.
    assert commands(verdict.actions)[0].endswith("-noprompt") and "-noprompt" not in commands(verdict.actions)[1]
    assert "storepass" not in " ".join(commands(verdict.actions))


def _no_path_gate(store_fix: tuple[Action, ...], failure: VerdictFailure = "no_trust_path",
                  java_options: tuple[str, ...] = ()) -> GateVerdict:
    """chain_trusted on a pod whose staging chain the JVM finds no path for (the store lacks the bundle's CAs), or
    rejects for another reason (`failure`)."""
    from cutover.config import Target
    from cutover.evidence import PodEvidence, PodTrust
    from cutover.gates.chain_trusted import chain_trusted
    from cutover.judge.wire import TrustVerdict
    from cutover.net.dns import StagingEvidence
    from cutover.net.tls import ChainFetch

    host, ip = "acme.fa.us2.oraclecloud.com", "127.20.0.1"
    pod = PodEvidence(Target("us2", "acme", host, 443, None, 5.0), StagingEvidence(host, staging_ips=(ip,)),
                      (ChainFetch(ip, 443, host),), ())
    verdict = TrustVerdict("us2/acme", ip, False, "PKIX path building failed: unable to find valid certification "
                           "path to requested target", failure=failure)
    return chain_trusted(pod, PodTrust((verdict,), production=()), store_fix=store_fix, java_options=java_options)


def test_a_pod_run_without_store_gates_still_plans_the_import_the_store_lacks() -> None:
    """--pod or -k selects no aliases_present: chain_trusted names the store plan's imports itself, so the plan
    imports the missing CA instead of sending the person to the provider; with nothing to import, the provider."""
    imports = (on_store("import", "issuing-ca"), on_store("import", "root", sha="CD" * 32))
    gate = _no_path_gate((*imports, on_store("delete", "us2-lb-cert")))
    assert not gate.ok and gate.actions == imports  # a delete of the plan fixes no path: not named here
    steps = plan([failed("chain_trusted", "us2/acme", *gate.actions, sr="3-9")])
    assert [(s.action.kind, s.action.alias, s.fixes) for s in steps] == [
        ("import", "issuing-ca", (("chain_trusted", "us2/acme"),)),
        ("import", "root", (("chain_trusted", "us2/acme"),))]
    # The whole run: aliases_present names the same two steps, which merge.
    both = plan([failed("chain_trusted", "us2/acme", *gate.actions), failed("aliases_present", "us2", *imports)])
    assert [len(s.fixes) for s in both] == [2, 2]
    [provider] = plan([failed("chain_trusted", "us2/acme", *_no_path_gate(()).actions, sr="3-9")])
    assert provider.action.kind == PROVIDER and provider.sr == "3-9"


def test_a_chain_rejected_under_the_clients_own_security_settings_is_theirs_to_check_first() -> None:
    """-Djava.security.properties or jdk.certpath.* change what the JVM accepts: a rejection may be the client's own
    doing, so the plan says so before the provider's step (which stays: only a run without them tells)."""
    options = ("-Djava.security.properties=/opt/app/tls.props", "-Dhttps.protocols=TLSv1.2",
               "-Djdk.certpath.disabledAlgorithms=EC keySize < 384")
    gate = _no_path_gate((), "rejected", options)
    assert [a.kind for a in gate.actions] == ["local", PROVIDER]
    assert "-Djava.security.properties, -Djdk.certpath.disabledAlgorithms" in gate.actions[0].text
    assert [a.kind for a in _no_path_gate((), "rejected").actions] == [PROVIDER]
    # A missing CA is the store's, whatever the settings: no such step there.
    assert [a.kind for a in _no_path_gate((on_store("import", "root"),), java_options=options).actions] == ["import"]
