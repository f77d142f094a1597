"""The store plan with the real keytool: a few pinned shared-store faults, fixed in one round, and prepare agreeing.

The property test (test_storeplan.py) drives a model through hundreds of faults; this takes a handful of them,
derandomized, to the real thing: a store shared by two data centres under aliases of their own, faulted with
keytool, the gates run by `cutover prepare`; then the printed commands pasted as one block into bash (the
password from its variable, no terminal), the gates run again on the pasted store, and prepare's copy compared
with it: every gate passes, prepare says READY (production's current chain still trusted), and its copy holds
exactly what the pasted store holds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from cutover.base import paths
from cutover.sandbox import PASSWORD_ENV, ROOT_ALIAS, Sandbox, dc_alias
from cutover.stores import truststore

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # minutes: prepare and a gate run per example

DCS = ("us2", "em3")
ROLES = ("root", "intermediate")
OLD_ROOT = "sandbox-root-2016"  # the root production's current (old) chain leads to
FAULTS = ("delete", "rename-free", "rename-neighbour", "last-year", "pinned-leaf", "root-unnamed")
Fault = tuple[str, str, str]


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, str, Path]]:
    """One sandbox for the module: its datacenters file with aliases per data centre (a store they share) and
    the good store holding the bundle's root and intermediate under each, beside what was there."""
    if shutil.which("keytool") is None:
        pytest.skip("keytool is not installed (.ci/run installs openjdk-17-jdk-headless)")
    workdir = tmp_path_factory.mktemp("shared-edge")
    sb = Sandbox("shared-store", workdir=workdir / "edge", pods_per_dc=1, datacenters=DCS).start()
    try:
        toml = sb.config_path.read_text().replace('bundle = "certs/', f'bundle = "{sb.workdir}/certs/')
        good = workdir / "good.jks"
        shutil.copyfile(sb.truststore_path, good)
        root = sb.workdir / "certs" / "root.pem"
        with zipfile.ZipFile(sb.workdir / "certs" / "us2.zip") as z:
            root.write_bytes(z.read("SandboxRootCAG2.crt.pem"))
        keytool(good, sb.password, "-importcert", "-trustcacerts", "-alias", dc_alias("us2", "root"), "-file",
                str(root))  # the scenario's store lacks only us2's root
        yield sb, toml, good
    finally:
        sb.stop()


def keytool(store: Path, password: str, *args: str) -> None:
    env = {**os.environ, PASSWORD_ENV: password}
    done = subprocess.run(["keytool", *args, "-keystore", str(store), "-storetype", "PKCS12", "-storepass:env",
                           PASSWORD_ENV, "-noprompt"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"keytool {' '.join(args)}: {done.stdout} {done.stderr}"


def plant(sb: Sandbox, store: Path, faults: list[Fault]) -> None:
    """The faults, with keytool, as a person would have made them (a step keytool would refuse is skipped)."""
    held = {e.alias for e in truststore.read(store, sb.password).java_entries}
    for kind, dc, role in faults:
        named = dc_alias(dc, role)
        if kind == "delete" and named in held:
            keytool(store, sb.password, "-delete", "-alias", named)
            held.discard(named)
        elif kind in ("rename-free", "rename-neighbour") and named in held:
            other = next(d for d in DCS if d != dc)
            dest = "renamed-by-hand" if kind == "rename-free" else dc_alias(other, ROLES[1 - ROLES.index(role)])
            if dest not in held:
                keytool(store, sb.password, "-changealias", "-alias", named, "-destalias", dest)
                held = (held - {named}) | {dest}
        elif kind == "last-year" and OLD_ROOT in held:  # production's only anchor, now under a named alias
            if named in held:
                keytool(store, sb.password, "-delete", "-alias", named)
            keytool(store, sb.password, "-changealias", "-alias", OLD_ROOT, "-destalias", named)
            held = (held - {OLD_ROOT}) | {named}
        elif kind == "pinned-leaf" and f"{dc}-lb-cert" not in held:
            leaf = store.parent / f"{dc}-leaf.pem"
            with zipfile.ZipFile(sb.workdir / "certs" / f"{dc}.zip") as z:
                leaf.write_bytes(z.read(f"{sb.pods_of(dc)[0]}.fa.{dc}.oraclecloud.com.crt.pem"))
            keytool(store, sb.password, "-importcert", "-alias", f"{dc}-lb-cert", "-file", str(leaf))
            held.add(f"{dc}-lb-cert")
        elif kind == "root-unnamed":  # the root stays under the sandbox's own alias, which nothing names here
            for d in DCS:
                if dc_alias(d, "root") in held:
                    keytool(store, sb.password, "-delete", "-alias", dc_alias(d, "root"))
                    held.discard(dc_alias(d, "root"))
    assert ROOT_ALIAS in held


def listing(store: Path, password: str) -> dict[str, str | None]:
    return {e.alias: e.cert.sha256 if e.cert else None for e in truststore.read(store, password).java_entries}


def run(args: list[str], folder: Path, password: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, PASSWORD_ENV: password}
    return subprocess.run([sys.executable, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)


SETTINGS = settings(max_examples=6, derandomize=True, deadline=None, phases=(Phase.explicit, Phase.generate),
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(faults=st.lists(st.tuples(st.sampled_from(FAULTS), st.sampled_from(DCS), st.sampled_from(ROLES)),
                       min_size=1, max_size=3))
@example(faults=[("last-year", "us2", "root"), ("rename-neighbour", "em3", "intermediate")])
@example(faults=[("delete", "us2", "root"), ("pinned-leaf", "em3", "root"), ("root-unnamed", "em3", "root")])
def test_printed_plan_fixes_a_shared_store_in_one_round_and_prepare_agrees(
        edge: tuple[Sandbox, str, Path], tmp_path_factory: pytest.TempPathFactory, faults: list[Fault]) -> None:
    sb, toml_text, good = edge
    folder = tmp_path_factory.mktemp("example")
    store = folder / sb.truststore_path.name  # the path the datacenters file names, relative to it
    shutil.copyfile(good, store)
    plant(sb, store, faults)
    toml = folder / "datacenters.toml"
    toml.write_text(toml_text)
    before = listing(store, sb.password)

    prepared = run(["-m", "cutover", "prepare", f"--datacenters={toml}", f"--out={folder / 'new.jks'}",
                    f"--reports-dir={folder / 'reports'}"], folder, sb.password)
    [evidence] = (folder / "reports").glob("prepare-*-before.json")
    plan = json.loads(evidence.read_text())["fix_plan"]
    commands = [s["command"] for s in plan]
    assert all(commands), f"{faults}: a store fault only, yet a step that is not keytool's: {plan}"
    assert listing(store, sb.password) == before, "prepare only reads the store"

    # The printed commands, as one paste: the password from its variable, no terminal, nothing asked.
    pasted = subprocess.run(["bash", "-c", "\n".join(commands)], cwd=folder, stdin=subprocess.DEVNULL,
                            env={**os.environ, PASSWORD_ENV: sb.password}, capture_output=True, text=True,
                            timeout=300, start_new_session=True)
    assert pasted.returncode == 0 and "password" not in (pasted.stdout + pasted.stderr).lower(), pasted
    gates = run(["-m", "pytest", str(paths.CHECKS), "-q", "-p", "no:cacheprovider", f"--datacenters={toml}",
                 "--no-reports", "--no-history"], folder, sb.password)
    assert gates.returncode == 0, f"{faults}: one round did not fix the store:\n{gates.stdout[-3000:]}"

    # prepare agrees: READY, and its copy holds exactly what the pasted store holds.
    assert prepared.returncode == 0 and "READY: every gate passes" in prepared.stdout, prepared.stdout
    assert listing(folder / "new.jks", sb.password) == listing(store, sb.password)
    # Nothing that works today is broken: the old root production's chain leads to is still held somewhere.
    old_root_sha = good_old_root(good, sb.password)
    assert old_root_sha in listing(store, sb.password).values()


def good_old_root(good: Path, password: str) -> str | None:
    return listing(good, password)[OLD_ROOT]
