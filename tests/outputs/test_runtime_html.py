"""The report's runtime block: which file was judged and why, its SHA-256, and the JDK, as the JSON records them."""

from __future__ import annotations

from pathlib import Path

from cutover.evidence import Evidence
from cutover.history.inputs import sha256_of
from cutover.outputs.runtime import runtime_html, runtime_lines
from tests.history.test_runtime_news import JSSE_WHY, TEMURIN, _client, _store


def test_each_client_s_runtime_names_its_files_their_sha256_why_and_the_jdk(tmp_path: Path) -> None:
    security = tmp_path / "jdk" / "lib" / "security"
    store = _store(security / "jssecacerts", "provider-root")
    ev = Evidence({}, {"soa": _client(store, TEMURIN, JSSE_WHY, security / "cacerts"), "<hr>": _client(None, None)},
                  {}, 0.1)
    assert runtime_lines(ev) == [
        ("soa", [f"judged file: {store.path} (SHA-256 {sha256_of(store.path)})", f"why this file: {JSSE_WHY}",
                 "JDK: Eclipse Adoptium 25.0.1 at /usr/lib/jvm/temurin-25-jdk-amd64"]),
        ("<hr>", ["judged file: none read (not read)", "why this file: the JDK's cacerts: no -Djavax.net.ssl."
                  "trustStore, and no readable jssecacerts beside it",
                  "JDK: not found: judged approximately (approximate: no JVM: no JDK found)"])]
    page = runtime_html(ev)
    assert "client &lt;hr&gt;" in page and "<hr>" not in page  # a client's name is the datacenters file's words
    assert sha256_of(store.path) in page and "Eclipse Adoptium 25.0.1" in page
    assert runtime_html(ev, {"soa"}).count("<li>client ") == 1 and runtime_html(ev, set()) == ""
