"""The scheduled run as shipped (ci-examples/): one nightly script, three thin CI templates and a host's timer.

The templates are validated offline against their CI's published schemas (check-jsonschema's vendored copies;
any download would go to a dead proxy and fail), and read for what each must do: set up, call the script, pass
no empty ``--sr``, keep the whole reports folder and the history. The script itself runs night after night
against the sandbox, from a fresh folder each night with the history folder carried over as a CI carries it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cutover.history import layout
from cutover.history.runs import HEAD_FIRST
from cutover.sandbox import PASSWORD_ENV, Sandbox
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e  # runs the script, check-jsonschema, systemd-analyze and the gates: processes

EXAMPLES = ROOT / "ci-examples"
SCRIPT = EXAMPLES / "cutover-nightly.sh"
TEMPLATES = {"github": EXAMPLES / "github-actions.yml", "gitlab": EXAMPLES / "gitlab-ci.yml",
             "jenkins": EXAMPLES / "Jenkinsfile"}
#: Any schema download check-jsonschema tried would go here, and fail: the check must run offline.
DEAD_PROXY = "http://127.0.0.1:9"


def _offline_env() -> dict[str, str]:
    return {**os.environ, "HTTP_PROXY": DEAD_PROXY, "HTTPS_PROXY": DEAD_PROXY, "http_proxy": DEAD_PROXY,
            "https_proxy": DEAD_PROXY, "NO_PROXY": "", "no_proxy": ""}


@pytest.mark.parametrize(("name", "schema"), [("github", "vendor.github-workflows"), ("gitlab", "vendor.gitlab-ci")])
def test_the_templates_validate_offline_against_their_ci_schemas(name: str, schema: str, tmp_path: Path) -> None:
    checker = Path(sys.executable).with_name("check-jsonschema")
    ok = subprocess.run([str(checker), "--builtin-schema", schema, str(TEMPLATES[name])], capture_output=True,
                        text=True, env=_offline_env(), timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # The check can fail: a key the CI does not know is refused.
    broken = tmp_path / TEMPLATES[name].name
    text = TEMPLATES[name].read_text()
    broken.write_text(text.replace("timeout-minutes: 30", "timeout-minuets: 30") if name == "github"
                      else text.replace("allow_failure:\n    exit_codes: [6]", "allow_failure:\n    exit_code: [6]"))
    assert broken.read_text() != text
    bad = subprocess.run([str(checker), "--builtin-schema", schema, str(broken)], capture_output=True, text=True,
                         env=_offline_env(), timeout=120)
    assert bad.returncode == 1, bad.stdout + bad.stderr


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_each_template_sets_up_and_calls_the_one_script(name: str) -> None:
    text = TEMPLATES[name].read_text()
    code = "\n".join(line.split("#")[0] if name != "jenkins" else line.split("//")[0] for line in text.splitlines())
    assert code.count("bash ci/cutover-nightly.sh") == 1, "each night is the script's, called once"
    assert "pytest" not in code, "the gates are run by the script, not by the template"
    assert "--sr" not in code, "the SR is passed by the script, and only when it is set"
    assert not re.search(r"--truststore|base64", code), "the store is restored to the path datacenters.toml names"
    assert re.search(r"(?m)^\s*(- )?reports/(\*\*)?\s*$|'reports/\*\*", code), "the whole reports folder is kept"
    assert "cutover-history" in code, "the history folder is carried to the next night"
    treats_6 = {"github": "6 (not proven",  # any non-zero fails a step: said in its header
                "gitlab": "exit_codes: [6]", "jenkins": "unstable("}
    assert treats_6[name] in text


def test_the_schedules_are_for_the_users_own_repository_at_a_pinned_cutover() -> None:
    files = {p.name for p in EXAMPLES.iterdir()}
    assert files == {*(t.name for t in TEMPLATES.values()), SCRIPT.name, "cutover-nightly.service",
                     "cutover-nightly.timer"}
    for name, path in TEMPLATES.items():
        text = path.read_text()
        assert "YOUR OWN repository" in text and "fork" not in text and "-e ." not in text, name
        assert re.search(r'CUTOVER_PIN\W+"?cutover @ git\+https://\S+@[0-9a-f]{40}', text), name
        assert "CUTOVER_TRUSTSTORE_PASSWORD" in text and "reports/" in text and ".xml" in text, name
    script = SCRIPT.read_text()
    assert '.venv/bin/pip install -q "$CUTOVER_PIN"' in script and '--datacenters="$datacenters"' in script


def test_github_saves_the_history_under_a_new_key_every_run_and_restores_by_prefix() -> None:
    text = TEMPLATES["github"].read_text()
    assert "actions/cache/restore@v4" in text and "actions/cache/save@v4" in text
    assert text.count("key: cutover-history-${{ github.run_id }}-${{ github.run_attempt }}") == 2
    assert "restore-keys: cutover-history-" in text
    save = text[text.index("actions/cache/save@v4") - 40:]
    assert "if: always()" in save.split("with:")[0], "a failed night is saved too"
    assert "CUTOVER_STORE_GPG: client-truststore.jks.gpg" in text and "secrets.CUTOVER_STORE_PASSPHRASE" in text


def test_the_host_timer_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian: systemd): the unit files cannot be verified here")
    for unit in ("cutover-nightly.service", "cutover-nightly.timer"):
        shutil.copy(EXAMPLES / unit, tmp_path / unit)
    done = subprocess.run([analyze, "verify", str(tmp_path / "cutover-nightly.service"),
                           str(tmp_path / "cutover-nightly.timer")], capture_output=True, text=True, timeout=60)
    said = [line for line in (done.stdout + done.stderr).splitlines() if "cutover-nightly" in line]
    assert done.returncode == 0 and not said, done.stdout + done.stderr
    calendar = re.search(r"OnCalendar=(.+)", (EXAMPLES / "cutover-nightly.timer").read_text())
    assert calendar is not None
    when = subprocess.run([analyze, "calendar", calendar[1]], capture_output=True, text=True, timeout=60)
    assert when.returncode == 0 and "02:17:00" in when.stdout, when.stdout + when.stderr


# -- the script's own steps, with a stand-in for pytest ---------------------------------------------------------------

#: Records its arguments, and the store it found at the path datacenters.toml names, then exits as told.
STAND_IN = """#!/bin/sh
printf '%s\\n' "$@" > args.txt
cp client-truststore.jks seen-store.jks 2>/dev/null
exit "${STAND_IN_EXIT:-0}"
"""


def _script(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    stand_in = folder.parent / "stand-in" / "pytest"
    if not stand_in.exists():
        stand_in.parent.mkdir()
        stand_in.write_text(STAND_IN)
        stand_in.chmod(0o755)
        (stand_in.parent / "python").symlink_to(sys.executable)
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}
    return subprocess.run(["bash", str(SCRIPT)], cwd=folder, env={**run_env, "CUTOVER_PYTEST": str(stand_in), **env},
                          capture_output=True, text=True, timeout=120)


def _folder(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "datacenters.toml").write_text('[truststore]\npath = "client-truststore.jks"\n')
    return repo


def test_the_script_passes_the_sr_only_when_it_is_set_and_exits_as_the_gates(tmp_path: Path) -> None:
    repo = _folder(tmp_path)
    for sr, code in (("", 0), ("3-1234567890", 6)):
        done = _script(repo, CUTOVER_SR=sr, STAND_IN_EXIT=str(code))
        assert done.returncode == code, done.stdout + done.stderr
        args = (repo / "args.txt").read_text().splitlines()
        assert args[:4] == ["--datacenters=datacenters.toml", "--reports-dir=reports",
                            "--history-dir=cutover-history", "--history-keep=60"]
        assert args[4:] == ([f"--sr={sr}"] if sr else []), args


def test_the_script_restores_a_gpg_store_to_the_path_the_file_names_and_removes_it(tmp_path: Path) -> None:
    gpg = shutil.which("gpg")
    if gpg is None:
        pytest.skip("gpg is not installed (Debian: gnupg): GitHub's way for large secrets cannot be tried")
    repo = _folder(tmp_path)
    store = os.urandom(300 * 1024)  # over GitHub's 48 KB secret limit and Linux's 128 KiB for one variable
    (tmp_path / "store.jks").write_bytes(store)
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    subprocess.run([gpg, "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--symmetric",
                    "--cipher-algo", "AES256", "--output", str(repo / "client-truststore.jks.gpg"),
                    str(tmp_path / "store.jks")], input="correct horse", text=True, env=env, check=True, timeout=60)
    done = _script(repo, CUTOVER_STORE_GPG="client-truststore.jks.gpg", CUTOVER_STORE_PASSPHRASE="correct horse",
                   GNUPGHOME=str(home))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / "seen-store.jks").read_bytes() == store, "the gates found the store where datacenters.toml says"
    assert not (repo / "client-truststore.jks").exists(), "and it is removed once they are done"
    assert "correct horse" not in done.stdout + done.stderr
    wrong = _script(repo, CUTOVER_STORE_GPG="client-truststore.jks.gpg", CUTOVER_STORE_PASSPHRASE="wrong",
                    GNUPGHOME=str(home))
    assert wrong.returncode == 4 and "gpg could not decrypt client-truststore.jks.gpg" in wrong.stderr, wrong.stderr


def test_the_script_never_overwrites_a_different_store(tmp_path: Path) -> None:
    repo = _folder(tmp_path)
    (repo / "client-truststore.jks").write_bytes(b"the real one")
    (tmp_path / "secret").write_bytes(b"the CI's")
    done = _script(repo, CUTOVER_STORE_FILE=str(tmp_path / "secret"))
    assert done.returncode == 4 and "exists and differs" in done.stderr, done.stdout + done.stderr
    assert (repo / "client-truststore.jks").read_bytes() == b"the real one"


def test_the_script_restores_the_history_from_an_earlier_jobs_artifacts(tmp_path: Path) -> None:
    """GitLab's way: the zip of the last successful pipeline's artifacts; only its history folder is taken."""
    import zipfile

    repo = _folder(tmp_path)
    archive = tmp_path / "artifacts.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("cutover-history/cutover-20261206T021705Z.json", "{}")
        z.writestr("reports/cutover-20261206T021705Z.html", "<html>")
    done = _script(repo, CUTOVER_HISTORY_FROM=str(archive))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 earlier run(s) in cutover-history" in done.stdout
    assert [p.name for p in (repo / "cutover-history").iterdir()] == ["cutover-20261206T021705Z.json"]
    assert not (repo / "reports" / "cutover-20261206T021705Z.html").exists()


# -- the nights ---------------------------------------------------------------------------------------------------


def _night(repo: Path, night: Path, carried: Path | None, store: Path, password: str, **env: str
           ) -> subprocess.CompletedProcess[str]:
    """A CI job: a fresh checkout of the user's repository in `night`, the history `carried` from the last one
    (its files' modification times made equal, as a restored cache or artifact leaves them), the store handed
    over as a secret file at a path of the CI's own, no SR set; then the script."""
    shutil.copytree(repo, night)
    if carried is not None:
        history = night / "cutover-history"
        shutil.copytree(carried, history)
        for f in history.iterdir():
            os.utime(f, (1_700_000_000, 1_700_000_000))
    run_env = {k: v for k, v in os.environ.items() if k != "CUTOVER_SR"}
    run_env |= {PASSWORD_ENV: password, "CUTOVER_STORE_FILE": str(store), "CUTOVER_PYTEST": str(
        Path(sys.executable).with_name("pytest")), **env}
    return subprocess.run(["bash", str(SCRIPT)], cwd=night, env=run_env, capture_output=True, text=True, timeout=300)


def _repository(sb: Sandbox, repo: Path, secrets: Path) -> Path:
    """The user's repository (datacenters.toml and the bundles, no store) and the store as the CI's secret."""
    repo.mkdir()
    shutil.copy(sb.config_path, repo / "datacenters.toml")
    shutil.copytree(sb.workdir / "certs", repo / "certs")
    secrets.mkdir()
    secret = secrets / "secret-file-1234.tmp"
    shutil.copy(sb.truststore_path, secret)
    return secret


def test_two_nights_remember_and_a_fault_night_keeps_its_certificates(tmp_path: Path) -> None:
    with Sandbox("good", workdir=tmp_path / "edge", pods_per_dc=1, datacenters=("us2",)) as sb:
        secret = _repository(sb, tmp_path / "repo", tmp_path / "ci-secrets")
        first = _night(tmp_path / "repo", tmp_path / "night1", None, secret, sb.password)
        assert first.returncode == 0, first.stdout + first.stderr
        kept1 = tmp_path / "night1" / "cutover-history"
        [evidence1] = kept1.glob("*.json")
        assert layout.head_members(evidence1.read_bytes()[:layout.HEAD_BYTES], HEAD_FIRST) is not None, "head first"
        second = _night(tmp_path / "repo", tmp_path / "night2", kept1, secret, sb.password)
        third = _night(tmp_path / "repo", tmp_path / "night3", tmp_path / "night2" / "cutover-history", secret,
                       sb.password)
    out = second.stdout + second.stderr
    assert second.returncode == 0, out
    assert "1 earlier run(s) in cutover-history" in out
    since = re.search(r"^since the last run \(\S+ \S+Z, (\S+)\)$", out, re.M)
    assert since is not None and Path(since[1]).name == evidence1.name, out
    [report2] = (tmp_path / "night2" / "reports").glob("*.html")
    assert "since the last run (" in report2.read_text() and evidence1.name in report2.read_text()
    assert not (tmp_path / "night2" / "client-truststore.jks").exists(), "the restored store is removed after"
    assert sorted(p.name for p in (tmp_path / "night2" / "cutover-history").iterdir()) == \
        sorted([evidence1.name, next((tmp_path / "night2" / "reports").glob("*.json")).name])
    # Two restored files of one modification time: the newer start is the baseline.
    assert third.returncode == 0, third.stdout + third.stderr
    [evidence2] = (tmp_path / "night2" / "reports").glob("*.json")
    since = re.search(r"^since the last run \(\S+ \S+Z, (\S+)\)$", third.stdout, re.M)
    assert since is not None and Path(since[1]).name == evidence2.name, third.stdout

    with Sandbox("missing-intermediate-alias", workdir=tmp_path / "edge2", pods_per_dc=1,
                 datacenters=("us2",)) as sb:
        secret = _repository(sb, tmp_path / "repo2", tmp_path / "ci-secrets2")
        fault = _night(tmp_path / "repo2", tmp_path / "fault-night", None, secret, sb.password)
    out = fault.stdout + fault.stderr
    assert fault.returncode == 1, out
    reports = tmp_path / "fault-night" / "reports"
    [certs] = [p for p in reports.iterdir() if p.is_dir() and p.name.endswith("-certs")]
    assert any(certs.glob("*.pem")), "the certificates the fix plan imports are kept beside the report"
    commands = [line for line in out.splitlines() if "keytool -importcert" in line]
    assert commands and all("-keystore client-truststore.jks" in c for c in commands), out
    assert str(secret) not in out and secret.name not in out, "fix commands name the user's store, not the secret"
