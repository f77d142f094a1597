"""The sandbox's JDK copies (cutover.sandbox.jdk): hard links but a real lib/security, made once, written only there.

A scenario whose JDK holds a jssecacerts writes stores into a JDK's lib/security: these show it can only ever be a
copy's, never the installed JDK's, and that a copy is made once and reused.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cutover.sandbox import SandboxError, jdk, pki

pytestmark = pytest.mark.e2e  # cp and keytool run

INSTALLED = Path(shutil.which("java") or "/usr/bin/java").resolve().parent.parent


@pytest.mark.skipif(not (INSTALLED / "lib" / "security").is_dir(), reason="no JDK 9+ with lib/security on PATH")
def test_a_copy_links_the_jdk_owns_its_security_folder_and_is_made_once(tmp_path: Path) -> None:
    home = jdk.copy(tmp_path / "jdks", INSTALLED)
    java = home / "bin" / "java"
    assert java.stat().st_ino == (INSTALLED / "bin" / "java").stat().st_ino  # a hard link: no copy of the JDK
    security = home / "lib" / "security"
    assert not security.is_symlink() and security.stat().st_ino != (INSTALLED / "lib" / "security").stat().st_ino
    assert (security / jdk.MARK).is_file()
    mark = (security / jdk.MARK).stat().st_mtime_ns
    assert jdk.copy(tmp_path / "jdks", INSTALLED) == home and (security / jdk.MARK).stat().st_mtime_ns == mark
    assert [p.name for p in (tmp_path / "jdks").iterdir()] == [INSTALLED.name]  # nothing half made left beside it


@pytest.mark.skipif(not (INSTALLED / "lib" / "security").is_dir(), reason="no JDK 9+ with lib/security on PATH")
def test_stores_are_written_into_a_copy_only(tmp_path: Path, keytool: Path) -> None:
    root = pki.make_root("Copy Root")
    home = jdk.copy(tmp_path / "jdks", INSTALLED)
    before = sorted(p.name for p in (INSTALLED / "lib" / "security").iterdir())
    (tmp_path / "certs").mkdir()
    jdk.write_stores(home, {"jssecacerts": [("copy-root", root)]}, keytool, tmp_path)
    assert (home / "lib" / "security" / "jssecacerts").read_bytes()[:4] == b"\xfe\xed\xfe\xed"  # JKS
    assert sorted(p.name for p in (INSTALLED / "lib" / "security").iterdir()) == before
    with pytest.raises(SandboxError, match="is not a sandbox copy's"):
        jdk.write_stores(INSTALLED, {"jssecacerts": [("copy-root", root)]}, keytool, tmp_path)
