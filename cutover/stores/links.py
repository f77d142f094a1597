"""Where a store file really is, for the fix plan's words.

keytool writes through a symbolic link: the link stays, its target changes. Debian and Ubuntu ship every JDK's
``lib/security/cacerts`` as a link to one ``/etc/ssl/certs/java/cacerts`` (ca-certificates-java's), and Temurin's
packages link there too, so an import into "the JDK's cacerts" changes the store of every JDK on the machine. A
person about to change a store shared by integrations they do not own is told so before pasting, not after.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Where Linux packages install JDKs; each folder in it is a JDK home (or a link to one, skipped).
JVM_DIRS: tuple[Path, ...] = (Path("/usr/lib/jvm"),)
#: A JDK's cacerts, from its home: JDK 9 and later, then JDK 8's.
CACERTS = ("lib/security/cacerts", "jre/lib/security/cacerts")


@dataclass(frozen=True)
class Link:
    """A store reached through a symbolic link.

    Attributes:
        target: the file keytool changes.
        jdks: the homes of the other JDKs whose cacerts is that same file.
    """

    target: str
    jdks: tuple[str, ...]


def link_of(store: str | Path, jvm_dirs: tuple[Path, ...] = JVM_DIRS) -> Link | None:
    """The file a store path really names, when a symbolic link stands between; None for a plain file or a path
    that does not resolve (the plan then names the path as given, which is what keytool would be told)."""
    given = Path(os.path.abspath(store))
    try:
        real = given.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if real == given:
        return None
    own = given.parent.resolve()
    jdks = []
    for root in jvm_dirs:
        try:
            homes = sorted(h for h in root.iterdir() if h.is_dir() and not h.is_symlink())
        except OSError:
            continue
        for home in homes:
            for rel in CACERTS:
                cacerts = home / rel
                try:
                    same = cacerts.resolve(strict=True) == real and cacerts.parent.resolve() != own
                except (OSError, RuntimeError):
                    continue
                if same:
                    jdks.append(str(home))
    return Link(str(real), tuple(jdks))


def link_words(store: str | Path, jvm_dirs: tuple[Path, ...] = JVM_DIRS) -> str:
    """What the plan adds after a store's name: empty for a plain file."""
    link = link_of(store, jvm_dirs)
    if link is None:
        return ""
    them = "that JDK" if len(link.jdks) == 1 else "those JDKs"
    shared = (f", which is also the cacerts of {', '.join(link.jdks)}: programs on {them} that read its cacerts see "
              "every change the plan makes there" if link.jdks else "")
    return f", reached through a symbolic link: keytool changes {link.target}{shared}"
