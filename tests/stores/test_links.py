"""A store reached through a symbolic link: the plan names the file keytool changes and the JDKs that share it
(Debian's layout: every JDK's cacerts a link to /etc/ssl/certs/java/cacerts), and keytool does write there."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cutover.gates.fixplan import Action, Step
from cutover.outputs.fixtext import keytool_note, stores_of
from cutover.sandbox import pki
from cutover.stores.links import link_of, link_words
from tests.conftest import make_store


def debian(tmp_path: Path) -> tuple[Path, Path]:
    """/etc/ssl/certs/java/cacerts and /usr/lib/jvm as Debian lays them out: two JDKs whose cacerts link to the one
    file, a JDK 8 under jre/, an alias link (default-java) and a JDK with a cacerts of its own."""
    shared = tmp_path / "etc" / "cacerts"
    shared.parent.mkdir(parents=True)
    shared.write_bytes(b"store")
    jvm = tmp_path / "jvm"
    for home, rel in (("java-17", "lib/security"), ("temurin-25", "lib/security"), ("java-8", "jre/lib/security")):
        (jvm / home / rel).mkdir(parents=True)
        (jvm / home / rel / "cacerts").symlink_to(shared)
    (jvm / "own" / "lib" / "security").mkdir(parents=True)
    (jvm / "own" / "lib" / "security" / "cacerts").write_bytes(b"other")
    (jvm / "default-java").symlink_to(jvm / "java-17")
    return shared, jvm


def test_a_linked_cacerts_names_its_target_and_the_other_jdks_sharing_it(tmp_path: Path) -> None:
    shared, jvm = debian(tmp_path)
    link = link_of(jvm / "java-17" / "lib" / "security" / "cacerts", (jvm,))
    assert link is not None and link.target == str(shared)
    assert link.jdks == (str(jvm / "java-8"), str(jvm / "temurin-25"))  # not itself, not the alias, not "own"
    # Reached through the alias folder: the same JDK, still not counted as another.
    via_alias = link_of(jvm / "default-java" / "lib" / "security" / "cacerts", (jvm,))
    assert via_alias is not None and via_alias.jdks == (str(jvm / "java-8"), str(jvm / "temurin-25"))
    words = link_words(jvm / "java-17" / "lib" / "security" / "cacerts", (jvm,))
    assert words == (f", reached through a symbolic link: keytool changes {shared}, which is also the cacerts of "
                     f"{jvm / 'java-8'}, {jvm / 'temurin-25'}: programs on those JDKs that read its cacerts see "
                     "every change the plan makes there")


def test_a_plain_file_a_missing_one_and_a_lone_link_say_nothing_or_only_the_target(tmp_path: Path) -> None:
    shared, jvm = debian(tmp_path)
    assert link_of(jvm / "own" / "lib" / "security" / "cacerts", (jvm,)) is None
    assert link_of(tmp_path / "absent.p12", (jvm,)) is None
    assert link_words(shared, (jvm,)) == ""
    lone = tmp_path / "store.p12"
    lone.symlink_to(tmp_path / "real.p12")
    assert link_of(lone, (jvm,)) is None  # dangling: named as given, which is what keytool is told
    (tmp_path / "real.p12").write_bytes(b"x")
    assert link_words(lone, (jvm,)) == f", reached through a symbolic link: keytool changes {tmp_path / 'real.p12'}"


def test_the_plan_says_it_once_where_it_names_the_store(tmp_path: Path) -> None:
    lone = tmp_path / "store.p12"
    (tmp_path / "real.p12").write_bytes(b"x")
    lone.symlink_to(tmp_path / "real.p12")
    steps = [Step(Action("import", store=str(lone), store_type="JKS", alias=a, sha256="AB", subject="CN=x",
                         file="x.pem"), fixes=()) for a in ("root", "inter")]
    real = tmp_path / "real.p12"
    assert stores_of(steps) == [f"{lone} (JKS), reached through a symbolic link: keytool changes {real}"]
    [note] = keytool_note(steps)
    assert f"changes the store {lone} (JKS), reached through a symbolic link: keytool changes " in note, note


def test_keytool_writes_through_the_link(keytool: Path, tmp_path: Path) -> None:
    """The claim the words rest on: an import through a link leaves the link and changes its target."""
    real = tmp_path / "real.p12"
    make_store(keytool, real, "changeit", {"a": pki.make_root("A")})
    (tmp_path / "sub").mkdir()
    link = tmp_path / "sub" / "link.p12"
    link.symlink_to(real)
    pem = tmp_path / "b.pem"
    pem.write_bytes(pki.make_root("B").pem)
    subprocess.run([str(keytool), "-importcert", "-noprompt", "-alias", "b", "-file", str(pem), "-keystore", str(link),
                    "-storetype", "PKCS12", "-storepass:env", "PW"], env={"PW": "changeit", "PATH": "/usr/bin:/bin"},
                   check=True, capture_output=True, timeout=60)
    assert link.is_symlink()
    listing = subprocess.run([str(keytool), "-list", "-keystore", str(real), "-storepass:env", "PW"],
                             env={"PW": "changeit", "PATH": "/usr/bin:/bin"}, check=True, capture_output=True,
                             text=True, timeout=60).stdout
    assert "b, " in listing and "a, " in listing, listing
