"""The runtime as news: which file was judged, its content, and the JDK, recorded in a run's JSON and compared by
the next run, by content and version, never by a file's time (issue 36, item 3).

Each case writes two runs' files with the writers a run uses (`cutover.history.inputs`), reads the earlier one back
as history does (`read_snapshot`) and compares: fast, nothing started.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from cutover.closing.news import WIDTH, Change, input_changes
from cutover.config import Client
from cutover.evidence import ClientEvidence
from cutover.history import inputs as judged
from cutover.history.layout import SCHEMA
from cutover.history.runs import read_snapshot
from cutover.judge.wire import JvmInfo
from cutover.stores.truststore import StoreContents, StoreEntry

T0 = dt.datetime(2026, 12, 1, 2, 17, tzinfo=dt.UTC)
TEMURIN = JvmInfo(Path("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"), "/usr/lib/jvm/temurin-25-jdk-amd64", "25.0.1",
                  "Eclipse Adoptium")
OPENJDK = JvmInfo(Path("/usr/lib/jvm/java-17-openjdk-amd64/bin/java"), "/usr/lib/jvm/java-17-openjdk-amd64",
                  "17.0.15", "Debian")
CACERTS_WHY = "the JDK's cacerts: no -Djavax.net.ssl.trustStore, and no readable jssecacerts beside it"
JSSE_WHY = "the JDK's jssecacerts, which JSSE reads instead of its cacerts"


def _store(path: Path, *aliases: str, content: bytes | None = None, union: tuple[Path, ...] = ()) -> StoreContents:
    """A store file on disk (its bytes stand for its entries) and the store as the judge listed it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if content is not None else ",".join(aliases).encode())
    return StoreContents(path, "JKS", tuple(StoreEntry(a, "trustedCertEntry", None) for a in aliases), "the JVM",
                         union)


def _client(store: StoreContents | None, jvm: JvmInfo | None = OPENJDK, why: str = CACERTS_WHY,
            shadows: Path | None = None) -> ClientEvidence:
    client = Client("default", None, "", None, (), ("us2",), store_from="jdk")
    return ClientEvidence(client, store, None, jvm, None if jvm else "approximate: no JVM: no JDK found", {},
                          why, shadows)


def _recorded(folder: Path, name: str, c: ClientEvidence) -> Path:
    """A run's evidence file as the writer lays out what history reads: ``inputs`` (as written), the store's entries
    in ``truststores`` and the client's ``runtime`` in ``clients``."""
    doc = {"schema": SCHEMA, "started": T0.isoformat(), "datacenters_file": "/x/dc.toml", "interrupted": False,
           "lifecycle": {}, "records": [], "clients": {"default": {"runtime": judged.runtime(c)}},
           "truststores": {"default": {"entries": [{"alias": e.alias, "certificate": None} for e in c.store.entries]
                                       if c.store else []}},
           "inputs": judged.as_written(_inputs(c))}
    path = folder / name
    path.write_text(json.dumps(doc))
    return path


def _inputs(c: ClientEvidence) -> dict[str, object]:
    """What `cutover.history.inputs.inputs` records of a one-client run, the datacenters file left the same."""
    stores = {} if c.store is None else {"default": {"path": str(c.store.path), "sha256": judged.sha256_of(
        c.store.path), "entries": judged.store_entries(c.store)}}
    return {"datacenters_file": {"path": "/x/dc.toml", "sha256": "D" * 64}, "clients": ["default"],
            "truststores": stores, "bundles": {}, "srs": {}, "runtimes": {"default": judged.runtime(c)}}


def _news(older: Path, after: ClientEvidence) -> list[Change]:
    """What the second run says of the first, the first read back from its file (`_recorded` before the change)."""
    found = input_changes(read_snapshot(older).inputs, _inputs(after))
    assert all(len(c.line) <= WIDTH for c in found), [c.line for c in found]
    return found


def test_the_json_records_every_judged_file_its_sha256_why_and_the_jdk(tmp_path: Path) -> None:
    first, second = tmp_path / "DemoTrust.jks", tmp_path / "jdk" / "lib" / "security" / "cacerts"
    store = _store(first, "demo-ca", union=(second,))
    _store(second, "root")
    runtime = judged.runtime(_client(store, TEMURIN, "the 2 files the client's truststore lists, trusted together"))
    assert runtime == {
        "files": [{"path": str(first), "sha256": judged.sha256_of(first)},
                  {"path": str(second), "sha256": judged.sha256_of(second)}],
        "why": "the 2 files the client's truststore lists, trusted together", "shadows": None,
        "jdk": {"vendor": "Eclipse Adoptium", "version": "25.0.1", "home": "/usr/lib/jvm/temurin-25-jdk-amd64"},
        "jdk_note": None}
    approximate = judged.runtime(_client(store, None))
    assert approximate["jdk"] is None
    assert approximate["jdk_note"] == "not found: judged approximately (approximate: no JVM: no JDK found)"


def test_a_jssecacerts_that_appeared_is_a_switch_of_file_not_also_a_content_change(tmp_path: Path) -> None:
    security = tmp_path / "jdk" / "lib" / "security"
    cacerts = _store(security / "cacerts", "provider-root", "digicert")
    older = _recorded(tmp_path, "run1.json", _client(cacerts))
    jssecacerts = _store(security / "jssecacerts", "someone-elses-root")
    found = _news(older, _client(jssecacerts, why=JSSE_WHY, shadows=cacerts.path))
    [switch] = found
    head = "client default: judged file switched: cacerts -> jssecacerts in …"
    assert switch.line.startswith(head) and len(switch.line) == WIDTH, switch.line  # tmp_path is long: cut at its start
    assert str(security).endswith(switch.line.removeprefix(head)) and switch.line.endswith("/jdk/lib/security")
    assert switch.detail["why"] == JSSE_WHY
    assert switch.detail["input"] == "judged_file" and switch.detail["added"] == ["someone-elses-root"]
    assert switch.detail["removed"] == ["provider-root", "digicert"]
    assert switch.detail["to"] == [{"path": str(jssecacerts.path), "sha256": judged.sha256_of(jssecacerts.path)}]


def test_a_switch_in_a_short_folder_reads_whole_and_the_way_back_says_the_jssecacerts_went(tmp_path: Path) -> None:
    jdk = Path("/opt/jdk/lib/security")
    was = {"files": [{"path": f"{jdk}/cacerts", "sha256": "A" * 64}], "why": CACERTS_WHY,
           "jdk": {"vendor": "Debian", "version": "17.0.15", "home": "/opt/jdk"}}
    now = {**was, "files": [{"path": f"{jdk}/jssecacerts", "sha256": "A" * 64}], "why": JSSE_WHY}
    inputs = {"datacenters_file": {"sha256": "D"}, "clients": ["x"], "truststores": {}, "bundles": {}, "srs": {}}
    found = input_changes(inputs | {"runtimes": {"x": was}}, inputs | {"runtimes": {"x": now}})
    assert [c.line for c in found] == ["client x: judged file switched: cacerts -> jssecacerts in "
                                       "/opt/jdk/lib/security (a jssecacerts appeared)"]
    back = input_changes(inputs | {"runtimes": {"x": now}}, inputs | {"runtimes": {"x": was}})
    assert [c.line for c in back] == ["client x: judged file switched: jssecacerts -> cacerts in /opt/jdk/lib/security "
                                      "(the jssecacerts is gone)"]
    option = {**was, "files": [{"path": "/app/trust.p12", "sha256": "B" * 64}],
              "why": "named by -Djavax.net.ssl.trustStore in the client's java_options"}
    [by_option] = input_changes(inputs | {"runtimes": {"x": was}}, inputs | {"runtimes": {"x": option}})
    assert by_option.line == ("client x: judged file switched: /opt/jdk/lib/security/cacerts -> /app/trust.p12 "
                              "(-Djavax.net.ssl.trustStore names it)")


def test_another_jdk_is_named_by_vendor_version_and_home(tmp_path: Path) -> None:
    store = _store(tmp_path / "client.jks", "provider-root")
    [line] = [c.line for c in _news(_recorded(tmp_path, "run1.json", _client(store, TEMURIN)), _client(store))]
    assert line == ("client default: JDK changed: Eclipse Adoptium 25.0.1 (temurin-25-jdk-amd64) -> Debian 17.0.15 "
                    "(java-17-openjdk-amd64)")
    [found] = _news(_recorded(tmp_path, "run1.json", _client(store, None)), _client(store, TEMURIN))
    assert found.line == ("client default: JDK changed: not found: judged approximately -> Eclipse Adoptium 25.0.1 "
                          "(temurin-25-jdk-amd64)")
    assert found.detail == {"input": "jdk", "client": "default", "from": None, "to": {
        "vendor": "Eclipse Adoptium", "version": "25.0.1", "home": "/usr/lib/jvm/temurin-25-jdk-amd64"}}


def test_an_upgrade_in_place_says_the_new_version_and_the_replaced_store(tmp_path: Path) -> None:
    """An OS update of the JDK package: the same home, a new version, and a cacerts written anew with other roots."""
    cacerts = tmp_path / "jdk" / "lib" / "security" / "cacerts"
    before = _client(_store(cacerts, "root-2005", "root-2016"), OPENJDK)
    older = _recorded(tmp_path, "run1.json", before)
    after = _client(_store(cacerts, "root-2016", "root-2025"), JvmInfo(OPENJDK.java, OPENJDK.home, "17.0.16", "Debian"))
    found = input_changes(read_snapshot(older).inputs, _inputs(after))
    assert [c.line for c in found] == [
        "client default: JDK changed at /usr/lib/jvm/java-17-openjdk-amd64: Debian 17.0.15 -> Debian 17.0.16",
        "client default's truststore content replaced (SHA-256 "
        f"{json.loads(older.read_text())['inputs']['truststores']['default']['sha256'][:12]}... -> "
        f"{judged.sha256_of(cacerts)[:12]}...): +root-2025; -root-2005"]


def test_a_store_replaced_at_its_path_is_named_by_content(tmp_path: Path) -> None:
    path = tmp_path / "client.jks"
    older = _recorded(tmp_path, "run1.json", _client(_store(path, "provider-root", "us2-lb-cert"),
                                                     why="named by the client's truststore"))
    was_sha = judged.sha256_of(path)
    found = _news(older, _client(_store(path, "provider-root", "issuing-g2"), why="named by the client's truststore"))
    assert [c.line for c in found] == [f"client default's truststore content replaced (SHA-256 {was_sha[:12]}... -> "
                                       f"{judged.sha256_of(path)[:12]}...): +issuing-g2; -us2-lb-cert"]
    assert found[0].detail["path"] == str(path) and found[0].detail["removed"] == ["us2-lb-cert"]


def test_only_the_files_times_changed_is_no_news(tmp_path: Path) -> None:
    """A CI cache restore touches every file every night: same content, same JDK, same paths say nothing."""
    security = tmp_path / "jdk" / "lib" / "security"
    store = _store(security / "jssecacerts", "provider-root")
    run = _client(store, TEMURIN, JSSE_WHY, security / "cacerts")
    older = _recorded(tmp_path, "run1.json", run)
    for path in (store.path, older):
        os.utime(path, (1e9, 1e9))
    assert input_changes(read_snapshot(older).inputs, _inputs(run)) == []


def test_a_union_s_second_file_replaced_is_named_by_its_path(tmp_path: Path) -> None:
    demo, cacerts = tmp_path / "DemoTrust.jks", tmp_path / "cacerts"
    _store(cacerts, "root-a")
    older = _recorded(tmp_path, "run1.json", _client(_store(demo, "demo-ca", "root-a", content=b"demo",
                                                            union=(cacerts,))))
    was_sha = judged.sha256_of(cacerts)
    _store(cacerts, "root-b")
    [line] = [c.line for c in _news(older, _client(_store(demo, "demo-ca", "root-b", content=b"demo",
                                                          union=(cacerts,))))]
    assert line == (f"client default's truststore cacerts content replaced (SHA-256 {was_sha[:12]}... -> "
                    f"{judged.sha256_of(cacerts)[:12]}...): +root-b; -root-a"), "tmp_path is long: the file by its name"
    assert "demo" not in line.partition(" content ")[2], "DemoTrust.jks is the same file with the same content"


def test_a_file_from_before_runtimes_were_recorded_is_compared_on_what_it_has(tmp_path: Path) -> None:
    """A cutover-evidence/3 file of the last release has each client's first store file, its SHA-256 and the JVM:
    another JDK is news the first night; a union, of which it named only the first file, is not a switch."""
    demo, cacerts = tmp_path / "DemoTrust.jks", tmp_path / "cacerts"
    _store(cacerts, "root")
    now = _client(_store(demo, "demo-ca", union=(cacerts,)), OPENJDK)
    older = _recorded(tmp_path, "run1.json", _client(now.store, TEMURIN))
    doc = json.loads(older.read_text())
    doc["clients"]["default"] = {"truststore": str(demo), "truststore_sha256": judged.sha256_of(demo),
                                 "truststore_chosen": None, "judge": {"engine": "jvm", "jvm": {
                                     "java": str(TEMURIN.java), "home": TEMURIN.home, "version": TEMURIN.version,
                                     "vendor": TEMURIN.vendor}, "note": None}}
    older.write_text(json.dumps(doc))
    found = input_changes(read_snapshot(older).inputs, _inputs(now))
    assert [c.line for c in found] == [
        "client default: JDK changed: Eclipse Adoptium 25.0.1 (temurin-25-jdk-amd64) -> Debian 17.0.15 "
        "(java-17-openjdk-amd64)"]
