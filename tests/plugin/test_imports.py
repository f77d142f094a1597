"""A gate run imports what it uses, when it uses it (issue #24, start-up).

pytest imports cutover's plugin in every run of this venv, and a gate run pays for every module before
its first look-up. These tests look at ``sys.modules`` of a fresh interpreter, so they fail the day an
import at the top of a module drags the costly ones back in: pyasn1_modules' big specifications (rfc5652
alone pulls rfc5280, rfc3280 and rfc3281), pyjks, and the code of the history and of the reports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, pkcs12

from cutover.sandbox import pki

pytestmark = pytest.mark.e2e  # starts a fresh interpreter: not in make test-fast

#: Never imported by importing the plugin: each is imported at its first use.
LATE = ("cutover.history.runs", "cutover.outputs.html", "cutover.outputs.evidence_json",
        "cutover.outputs.per_sr", "cutover.plugin.report", "jks")


def modules_after(code: str) -> set[str]:
    """The names in sys.modules of a fresh interpreter after running `code`."""
    done = subprocess.run([sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
                          capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_plugin_leaves_history_reports_and_pyasn1_modules_for_later() -> None:
    loaded = modules_after("import cutover.plugin, cutover.plugin.run, cutover.plugin.fixtures")
    assert "cutover.plugin.run" in loaded and "cutover.stores.pkcs12" in loaded  # the test looks where it should
    assert not {m for m in loaded if m.split(".")[0] == "pyasn1_modules"}
    assert not loaded & set(LATE)


def test_pkcs12_is_read_without_pyasn1_modules_and_jks_loads_pyjks_only_then(tmp_path: Path) -> None:
    root = pki.make_root("Import Root")
    p12 = tmp_path / "store.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"one", None, None, [root.cert],
                                                          BestAvailableEncryption(b"pw")))
    code = f"from cutover.stores import truststore\nassert truststore.read({str(p12)!r}, 'pw').entries"
    loaded = modules_after(code)
    assert "cutover.stores.pkcs12" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("pyasn1_modules", "jks")}

    import jks  # the writer of the JKS store: the reader must import it itself, and only for this store

    store = tmp_path / "store.jks"
    entry = jks.TrustedCertEntry.new("import-root", root.cert.public_bytes(Encoding.DER))
    store.write_bytes(jks.KeyStore.new("jks", [entry]).saves("pw"))
    loaded = modules_after(code.replace(repr(str(p12)), repr(str(store))))
    assert "jks" in loaded
