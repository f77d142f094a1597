"""The runtime as news, end to end: real gate runs against a sandbox, history read from the reports folder as a
nightly run reads it, between which the client's runtime changes (issue 36, item 3's done-when).

A jssecacerts appearing in the client's JDK (a copy of an installed JDK, `cutover.sandbox.jdk`), another JDK, the
store's content replaced at its path: each is named in "since the last run", in the terminal and the JSON. Every
file touched (a CI cache restore) is no news. The unit tests of each line are in test_runtime_news.py.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from cutover.base.digest import sha256_of
from cutover.sandbox import PASSWORD_ENV, Sandbox, jdk, pki
from cutover.sandbox.scenario import INTERMEDIATE_ALIAS, ROOT_ALIAS
from tests.conftest import make_store
from tests.history.test_baselines import gates, since

pytestmark = pytest.mark.e2e

OPENJDK = Path("/usr/lib/jvm/java-17-openjdk-amd64")
TEMURIN = Path("/usr/lib/jvm/temurin-25-jdk-amd64")
needs_jdks = pytest.mark.skipif(not all((j / "bin" / "java").is_file() for j in (OPENJDK, TEMURIN)),
                                reason=f"needs the JDKs {OPENJDK} and {TEMURIN}")


def touch_all(*folders: Path) -> None:
    """What a CI cache restore does: every file gets a new modification time, not one byte changes."""
    later = time.time() + 86400
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            if not path.is_symlink():
                os.utime(path, (later, later))


def news(folder: Path, name: str) -> list[str]:
    """The "since the last run" lines the JSON of run `name` holds."""
    changes: list[str] = json.loads((folder / f"{name}.json").read_text())["since_last_run"]["changes"]
    return changes


def details(folder: Path, name: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = json.loads((folder / f"{name}.json").read_text())["since_last_run"]["details"]
    return found


@needs_jdks
def test_a_jssecacerts_that_appears_is_named_once_and_touched_files_are_not(
        pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client reads its JDK's default store (java:default). Between two runs every file is touched and a
    jssecacerts with cacerts' own content appears beside it: JSSE now reads another file, which is the one line."""
    home = jdk.copy(tmp_path / "jdks", OPENJDK)
    security = home / "lib" / "security"
    folder = tmp_path / "reports"
    with Sandbox("good", workdir=tmp_path / "edge", pods_per_dc=1, datacenters=("us2",)) as sb:
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        text = sb.config_path.read_text()
        text = text.replace(f'path = "{sb.truststore_path.name}"\npassword_env = "{PASSWORD_ENV}"\n',
                            'path = "java:default"\n')
        sb.config_path.write_text(text.replace("[run]\n", f'[run]\njava_home = "{home}"\n'))
        first = gates(pytester, sb, folder, "run1")
        assert first.failed, "the JDK's cacerts holds no sandbox CA: the store gates fail (and the run is full)"
        touch_all(sb.workdir, security)
        shutil.copyfile(security / "cacerts", security / "jssecacerts")  # cacerts is a link to the system's store
        second = gates(pytester, sb, folder, "run2")
    assert sha256_of(security / "jssecacerts") == sha256_of(security / "cacerts")
    compared, lines = since(second)
    assert compared == folder / "run1.json"
    assert lines == news(folder, "run2")
    assert len(lines) == 1, lines  # no "content replaced", no verdict flipped, nothing for the touched files
    assert lines[0].startswith("client default: judged file switched: cacerts -> jssecacerts in "), lines
    assert len(lines[0]) <= 120
    [switch] = details(folder, "run2")
    assert switch["input"] == "judged_file" and switch["to"] == [
        {"path": str(security / "jssecacerts"), "sha256": sha256_of(security / "jssecacerts")}]
    assert switch["from"] == [{"path": str(security / "cacerts"), "sha256": sha256_of(security / "cacerts")}]
    runtime = json.loads((folder / "run2.json").read_text())["clients"]["default"]["runtime"]
    assert runtime["files"] == switch["to"] and runtime["shadows"] == str(security / "cacerts")
    assert runtime["why"].startswith("the JDK's jssecacerts, which JSSE reads instead of its cacerts")
    assert runtime["jdk"]["home"] == str(home) and runtime["jdk"]["version"].startswith("17.")
    page = (folder / "run2.html").read_text()
    assert f"judged file: {security / 'jssecacerts'} (SHA-256 {sha256_of(security / 'jssecacerts')})" in page
    assert html.escape(lines[0]) in page


@pytest.mark.slow
@needs_jdks
def test_another_jdk_and_a_replaced_store_are_named_and_touched_files_are_not(
        pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keytool: Path) -> None:
    """The client's java_home goes from the system's OpenJDK 17 to Temurin 25; then its store is written anew at
    its path with other entries; before both, every file touched says nothing changed."""
    folder = tmp_path / "reports"
    with Sandbox("good", workdir=tmp_path / "edge", pods_per_dc=1, datacenters=("us2",)) as sb:
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        text = sb.config_path.read_text()
        sb.config_path.write_text(text.replace("[run]\n", f'[run]\njava_home = "{OPENJDK}"\n'))
        gates(pytester, sb, folder, "run1")
        touch_all(sb.workdir)
        touched = gates(pytester, sb, folder, "run2")
        sb.config_path.write_text(text.replace("[run]\n", f'[run]\njava_home = "{TEMURIN}"\n'))
        other_jdk = gates(pytester, sb, folder, "run3")
        was = sha256_of(sb.truststore_path)
        sb.truststore_path.unlink()
        make_store(keytool, sb.truststore_path, sb.password, {"someone-elses-root": pki.make_root("Someone Else")})
        replaced = gates(pytester, sb, folder, "run4")
    assert since(touched) == (folder / "run1.json", ["nothing changed"])
    assert news(folder, "run2") == ["nothing changed"]
    compared, lines = since(other_jdk)
    assert compared == folder / "run2.json"
    assert lines[0].startswith("datacenters file changed: SHA-256 "), lines  # its java_home line
    assert lines[1:] == [f"client default: JDK changed: Debian {_version(folder, 'run2')} (java-17-openjdk-amd64) -> "
                         f"Eclipse Adoptium {_version(folder, 'run3')} (temurin-25-jdk-amd64)"]
    [jdk_change] = [d for d in details(folder, "run3") if d.get("input") == "jdk"]
    assert jdk_change["to"] == {"vendor": "Eclipse Adoptium", "version": _version(folder, "run3"), "home": str(TEMURIN)}
    assert replaced.result.ret != 0, "the new store holds none of the provider's CAs"
    _, lines = since(replaced)
    [line] = [x for x in lines if "truststore" in x]
    assert line.startswith(f"client default's truststore content replaced (SHA-256 {was[:12]}... -> "
                           f"{sha256_of(sb.truststore_path)[:12]}...): +someone-elses-root; -"), lines
    [content] = [d for d in details(folder, "run4") if d.get("input") == "truststore"]
    assert {ROOT_ALIAS, INTERMEDIATE_ALIAS} <= set(content["removed"]) and content["path"] == str(sb.truststore_path)
    assert any(x.startswith("chain_trusted passed -> failed: us2/acme") for x in lines), lines
    assert not any("switched" in x or "JDK" in x for x in lines), lines
    assert line in news(folder, "run4")


def _version(folder: Path, name: str) -> str:
    version: str = json.loads((folder / f"{name}.json").read_text())["clients"]["default"]["runtime"]["jdk"]["version"]
    return version
