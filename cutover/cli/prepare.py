"""``python -m cutover prepare``: a fixed copy of the client's truststore, proven against staging.

The gates say what is wrong with a store and print keytool commands; the person who owns the store
then types them into a production file by hand. This takes the last step safely: it runs the gates,
applies the store actions of their fix plan to a *copy* with the real keytool of the client's JDK,
runs the gates again against the copy, and hands over the copy only when every gate passes and production's
current chain, trusted with the original, is still trusted with the copy (nothing that works today is
broken). The original is only read: its SHA-256 is printed before and after.

The actions are the fix plan's store steps, read as data from the run's JSON evidence (`Step.from_json`)
and run with the keytool arguments the plan prints (`keytool_args`): import the bundle's root and
intermediate under the configured aliases, replace a wrong entry (renamed aside to ``<alias>-previous`` when
production's current chain still needs it), delete a pinned provider leaf. Nothing else in the store is
touched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from cutover.base import exit_codes, paths
from cutover.base.digest import sha256_hex
from cutover.config import Client, Config, ConfigError, Overrides, load
from cutover.gates.fixplan import STORE_KINDS, Action, Step, keytool_args
from cutover.judge.java import JudgeUnavailable, exe, find_java
from cutover.outputs.fixtext import fixes_text
from cutover.stores import bundle as bundle_mod
from cutover.stores import password as store_password
from cutover.stores import truststore

#: The schema of the diff file prepare writes beside its reports (its proving run reads it: --store-diff).
DIFF_SCHEMA = "cutover-store-diff/1"


class PrepareError(Exception):
    """Something stops prepare before it changes anything; the message is the whole explanation."""


@dataclass(frozen=True)
class EntryChange:
    """One line of the diff between the original store and the copy."""

    change: str  # added, removed, replaced
    alias: str
    before: str | None  # SHA-256 of the entry's certificate in the original
    after: str | None  # ... and in the copy

    def to_json(self) -> dict[str, str | None]:
        return {"change": self.change, "alias": self.alias, "sha256_before": self.before, "sha256_after": self.after}


def file_sha256(path: Path) -> str:
    return sha256_hex(Path(path).read_bytes())


def describe(action: Action) -> str:
    """A store step in the words prepare prints before it runs it, and in keytool's error."""
    if action.kind == "changealias":
        return f"rename alias {action.alias!r} to {action.dest_alias!r}"
    if action.kind == "import":
        return f"import the bundle's certificate {(action.sha256 or '')[:16]}... under alias {action.alias!r}"
    return f"delete alias {action.alias!r}"


def bundle_certificates(config: Config) -> dict[str, bytes]:
    """The DER of every CA in the configured bundles, by SHA-256: an import takes its certificate from here,
    never from the file path the plan prints (which may sit inside a zip)."""
    certs: dict[str, bytes] = {}
    for dc in config.datacenters:
        if dc.bundle is not None:
            b = bundle_mod.read(dc.bundle)
            for c in (b.root, *b.intermediates):
                certs[c.sha256] = c.der
    return certs


def actions_from_plan(doc: Mapping[str, object], store: Path, certs: Mapping[str, bytes]) -> list[Step]:
    """The fix plan's store steps for `store`, in the plan's order (deletes, renames, imports).

    Read from the `fix_plan` of the run's JSON evidence: structured steps, never a parsed command. Aliases
    are lower-cased, as Java keeps them, so the diff and keytool's messages name what the store holds.
    """
    steps = doc.get("fix_plan") or []
    assert isinstance(steps, list)
    chosen = []
    for data in steps:
        step = Step.from_json(data)
        a = step.action
        if a.kind not in STORE_KINDS:
            continue
        if a.store and Path(a.store).resolve() != Path(store).resolve():
            continue  # another client's store
        if a.kind == "import" and str(a.sha256) not in certs:
            raise PrepareError(f"the fix plan imports {a.subject or a.sha256} under alias {a.alias!r}, but no "
                               "configured bundle holds that certificate; check the bundle paths in datacenters.toml.")
        a = replace(a, alias=str(a.alias).lower(), dest_alias=a.dest_alias.lower() if a.dest_alias else None)
        chosen.append(replace(step, action=a))
    return chosen


def apply(steps: Sequence[Step], certs: Mapping[str, bytes], store: Path, store_type: str, password_env: str,
          keytool: Path) -> None:
    """Run each step with the real keytool on `store` (the copy); the password travels in the environment."""
    with tempfile.TemporaryDirectory(prefix="cutover-prepare-") as tmp:
        for i, step in enumerate(steps):
            a = replace(step.action, store=str(store), store_type=store_type)
            file = None
            if a.kind == "import":
                der = Path(tmp) / f"import-{i}.der"
                der.write_bytes(certs[str(a.sha256)])
                file = str(der)
            cmd = [str(keytool), *keytool_args(a, store_password_env=password_env, file=file)]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                secret = store_password.from_env(password_env) or "\0"
                said = (done.stdout + done.stderr).strip().replace(secret, "***")
                raise PrepareError(f"keytool could not {describe(a)} in {store}: {said}")


def diff(before: truststore.StoreContents, after: truststore.StoreContents) -> list[EntryChange]:
    """What changed, entry by entry (as Java lists them), with each certificate's SHA-256."""
    def sha(e: truststore.StoreEntry) -> str | None:
        return e.cert.sha256 if e.cert is not None else None

    old = {e.alias: e for e in before.java_entries}
    new = {e.alias: e for e in after.java_entries}
    changes = [EntryChange("removed", a, sha(old[a]), None) for a in sorted(old.keys() - new.keys())]
    changes += [EntryChange("added", a, None, sha(new[a])) for a in sorted(new.keys() - old.keys())]
    changes += [EntryChange("replaced", a, sha(old[a]), sha(new[a])) for a in sorted(old.keys() & new.keys())
                if sha(old[a]) != sha(new[a]) or old[a].kind != new[a].kind]
    return changes


def run_gates(datacenters: Path, store: Path, html: Path, extra: Sequence[str]) -> tuple[int, dict[str, object]]:
    """The gates in a child pytest, as a person runs them; returns its exit code and JSON evidence."""
    cmd = [sys.executable, "-m", "pytest", str(paths.CHECKS), "-q", "-p", "no:cacheprovider", "--prepare-run",
           f"--datacenters={datacenters}", f"--truststore={store}", f"--html={html}", "--self-contained-html", *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    evidence = html.with_suffix(".json")
    if not evidence.is_file():
        raise PrepareError(f"the gates did not run (pytest exit code {done.returncode}):\n"
                           + "\n".join((done.stdout + done.stderr).strip().splitlines()[-12:]))
    return done.returncode, json.loads(evidence.read_text())


def not_ready_name(path: Path) -> Path:
    return path.with_name(f"{path.stem}.NOT-READY{path.suffix}")


def _client(datacenters: Path, chosen: str | None) -> tuple[Config, Client, Path]:
    """The run's config and the one client whose own store prepare copies."""
    try:
        config = load(datacenters, Overrides(only_clients=[chosen] if chosen else ()))
    except ConfigError as e:
        raise PrepareError(str(e)) from None
    if config.several_clients:
        raise PrepareError(f"{datacenters} has several clients ({', '.join(c.name for c in config.clients)}): "
                           "prepare fixes one client's store; name it with --client NAME.")
    client = config.clients[0]
    if client.union:
        # Its gates would judge the copy of the first file alone (--truststore names one file): a leaf pinned in
        # another file, or an anchor only another holds, would be missed, and READY would be a guess.
        raise PrepareError(f"client {client.name!r} trusts {len(client.store_files)} files together "
                           f"({', '.join(map(str, client.store_files))}): prepare copies and judges one file. Apply "
                           "the fix plan's keytool commands, each of which names the file it changes, to copies of "
                           "those files, and run the gates with the copies listed in truststore = [...].")
    if client.cacerts or client.truststore is None:
        raise PrepareError(f"client {client.name!r} uses its JDK's own cacerts (java:cacerts): that file belongs "
                           "to the JDK, not to the integration; give the client a store of its own to prepare.")
    return config, client, client.truststore


def _check_out(out: Path, original: Path, force: bool) -> None:
    if out.resolve() == original.resolve():
        raise PrepareError(f"--out {out} is the client's truststore itself; prepare never writes to it. "
                           "Give the path of a new file, e.g. --out=client-truststore.new.jks.")
    for path in (out, not_ready_name(out)):
        if path.exists() and not force:
            raise PrepareError(f"--out: {path} already exists; move it away or add --force to overwrite it.")


def _open(original: Path, client: Client, config: Config) -> tuple[str, truststore.StoreContents, Path]:
    """The store's password, its entries and the client's own keytool, each checked before anything runs."""
    env = client.password_env
    password = store_password.from_env(env)
    if password is None:
        raise PrepareError(f"the truststore password is not set: export {env} with the password of {original}; "
                           "the copy gets the same password.")
    try:
        before = truststore.read(original, password, password_env=env)
        java = find_java(client.java_home or config.java_home)
    except (truststore.TruststoreError, JudgeUnavailable) as e:
        raise PrepareError(str(e)) from None
    if before.store_type == "PEM":
        raise PrepareError(f"{original} is a PEM file, not a keystore keytool can change; import its certificates "
                           "into a PKCS12 store first (keytool -importcert) and point [truststore] path at that.")
    keytool = java.resolve().parent / exe("keytool")
    if not keytool.is_file():
        raise PrepareError(f"no keytool next to {java}: prepare changes the copy with the client's own JDK's keytool.")
    return password, before, keytool


def _print_diff(changes: Sequence[EntryChange], original: Path, sha_before: str, sha_after: str, html: Path) -> None:
    print("diff (entries as Java lists them):")
    for c in changes or [EntryChange("none", "-", None, None)]:
        print(f"  {c.change:9} {c.alias:32} {c.before or '-':64} -> {c.after or '-'}")
    print(f"original {original}: SHA-256 {sha_after} ({'unchanged' if sha_after == sha_before else 'CHANGED'})")
    print(f"report: {html}")


#: The gates whose failure is the store's own: a store fault, which the plan's steps are there to fix.
STORE_GATES = ("aliases_present", "no_lb_cert")


def production_broken(first: Mapping[str, object], second: Mapping[str, object]) -> list[str]:
    """Production's current chain, trusted with the original store and not with the copy: what handing the copy
    over would break today, before the cutover (``pod production IP (client): Java's reason``)."""
    def verdicts(doc: Mapping[str, object]) -> dict[tuple[str, str, str], Mapping[str, object]]:
        pods = doc.get("pods") or {}
        assert isinstance(pods, dict)
        return {(tid, client, str(v["ip"])): v for tid, pod in pods.items()
                for client, trust in (pod.get("trust") or {}).items() for v in trust.get("production_verdicts", [])}

    before = verdicts(first)
    return [f"{tid} production {ip} ({client}): {v.get('reason')}" for (tid, client, ip), v in verdicts(second).items()
            if not v.get("ok") and before.get((tid, client, ip), {}).get("ok")]


def _verdict(rc: int, first: Mapping[str, object], second: Mapping[str, object], out: Path) -> int:
    """READY only when the gate run against the copy passed whole and production's current chain is still trusted;
    otherwise the copy is parked under another name, and what is left is said as what it is: a store fault the
    plan left (never "a change of the store cannot fix"), or what is not the store's."""
    records = second.get("records", [])
    assert isinstance(records, list)
    failed = [r for r in records if r.get("outcome") != "passed" and r.get("outcome") != "skipped"]
    broken = production_broken(first, second)
    if rc == 0 and not failed and not broken:
        print(f"READY: every gate passes with {out}, and production's current chain is still trusted with it; "
              "hand it over to replace the client's truststore.")
        return exit_codes.OK
    parked = not_ready_name(out)
    out.replace(parked)
    plan = second.get("fix_plan") or []
    assert isinstance(plan, list)
    store_left = [r for r in failed if r.get("gate") in STORE_GATES] or [s for s in plan if s.get("command")]
    if broken:
        print(f"NOT READY: the copy breaks what works today: production's current chain is trusted with the original "
              f"store and not with the copy; the copy is kept for inspection as {parked}:")
        for line in broken:
            print(f"  {line[:300]}")
    if store_left:
        print(f"NOT READY: {len(failed)} gate test(s) still fail with the copy, and the store still needs changes "
              f"after the fix plan was applied: a fault of cutover's plan (please report it with both reports); "
              f"the copy is kept for inspection as {parked}:")
    elif failed:
        print(f"NOT READY: {len(failed)} gate test(s) still fail with the copy, which a change of the store cannot "
              f"fix (the chain served at staging, the network or a client option: see each one's fix); the copy is "
              f"kept for inspection as {parked}:")
    for r in failed:
        print(f"  {r['gate']} {r['target']}: {str(r.get('message') or '')[:300]}")
    return exit_codes.NOT_OK


def main(args: argparse.Namespace) -> int:
    """The prepare command, with the options cutover.__main__ parsed."""
    datacenters: Path = args.datacenters
    out: Path = args.out
    reports: Path = args.reports_dir or paths.reports_dir(Path.cwd())
    chosen: str | None = args.client
    config, client, original = _client(datacenters, chosen)
    # With a client named, the gate runs judge that client only, its store replaced by --truststore.
    extra = [*([f"--client={chosen}"] if chosen else []), *(args.pytest_args or [])]
    _check_out(out, original, args.force)
    password, before, keytool = _open(original, client, config)
    sha_before = file_sha256(original)
    reports.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    print(f"original {original}: SHA-256 {sha_before}")
    _, first = run_gates(datacenters, original, reports / f"prepare-{stamp}-before.html", extra)
    certs = bundle_certificates(config)
    steps = actions_from_plan(first, original, certs)
    for stale in (out, not_ready_name(out)):
        stale.unlink(missing_ok=True)
    shutil.copyfile(original, out)
    print(f"copy     {out}: {len(steps)} store action(s) from the fix plan")
    for step in steps:
        print(f"  {describe(step.action)}  (fixes {fixes_text(step)})")
    apply(steps, certs, out, before.store_type, client.password_env, keytool)
    changes = diff(before, truststore.read(out, password))
    diff_file = reports / f"prepare-{stamp}-diff.json"
    # Named by its schema, so that the history reader passes over it (it records no run).
    diff_file.write_text(json.dumps({"schema": DIFF_SCHEMA, "original": str(original), "copy": str(out),
                                     "sha256_original": sha_before,
                                     "changes": [c.to_json() for c in changes]}, indent=2))
    html = reports / f"prepare-{stamp}.html"
    rc, second = run_gates(datacenters, out, html, [*extra, f"--store-diff={diff_file}"])
    sha_after = file_sha256(original)
    _print_diff(changes, original, sha_before, sha_after, html)
    if sha_after != sha_before:
        raise PrepareError(f"{original} changed while prepare ran (SHA-256 {sha_before} -> {sha_after}); "
                           "something else writes to it. Do not use the copy.")
    return _verdict(rc, first, second, out)
