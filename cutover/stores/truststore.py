"""The client's truststore, entry by entry, as Java would list it.

When a JVM is available, the Java probe lists the store and that listing is the truth (see
`cutover.judge.java`). This module is the Python reading: it checks the file and password before any
test runs, and it is the listing when no JVM can be found. Format is detected by content, never by
file name, because keytool 9+ writes PKCS12 even into a file called ``x.jks``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from cutover.base.certs import CertInfo
from cutover.stores import pkcs12

StoreType = Literal["JKS", "JCEKS", "PKCS12", "PEM"]
EntryKind = Literal["trustedCertEntry", "PrivateKeyEntry", "SecretKeyEntry", "ignoredCertificate"]


class TruststoreError(Exception):
    """The store cannot be read; the message names the file and what to do."""


@dataclass(frozen=True)
class StoreEntry:
    """One alias of the store.

    Attributes:
        alias: lower case, as Java reports it.
        kind: Java's entry kind. Only ``trustedCertEntry`` entries are trust anchors. ``ignoredCertificate``
            is a PKCS12 certificate without Oracle's trusted-key-usage attribute: Java does not list it.
        cert: the certificate of a trusted entry, or the first of a key entry's chain; None for secret keys.
        file: the file that holds it, in a union of files trusted together; None: the store's `path`.
    """

    alias: str
    kind: EntryKind
    cert: CertInfo | None
    file: Path | None = None


@dataclass(frozen=True)
class StoreContents:
    """What is in the store, and who read it (the JVM, or Python when no JVM was found).

    For a client trusting several files together (`cutover.config.Client.union`) it is their union: `path` is
    the first file, `union` the others, and each entry says which file holds it (`file_of`). `store_type` is then
    the first file's type and `file_types` each file's, in `files` order: a keytool step on one file needs that
    file's own type (`part`).
    """

    path: Path
    store_type: str
    entries: tuple[StoreEntry, ...]
    read_by: str
    union: tuple[Path, ...] = ()
    file_types: tuple[str, ...] = ()

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.path, *self.union)

    def file_of(self, entry: StoreEntry) -> Path:
        """The file holding `entry`: what a message or a fix plan names."""
        return entry.file or self.path

    def type_of(self, path: Path) -> str:
        """The type of one of `files` (keytool's -storetype for a step on it)."""
        types = dict(zip(self.files, self.file_types, strict=False))
        return types.get(Path(path), self.store_type)

    def part(self, path: Path) -> StoreContents:
        """One file of a union as a store of its own: its entries and type. A store plan is decided per file,
        since keytool changes one file at a time; for a single-file store, itself."""
        if not self.union:
            return self
        path = Path(path)
        return StoreContents(path, self.type_of(path), tuple(e for e in self.entries if self.file_of(e) == path),
                             self.read_by)

    def holding(self, alias: str) -> tuple[StoreEntry, ...]:
        """Every entry under `alias`, in every file (a union may hold one alias in several files)."""
        return tuple(e for e in self.entries if e.alias == alias.lower())

    @property
    def described(self) -> str:
        """The store as a person names it: its file, or its files (each with its type) for a union."""
        if not self.union:
            return str(self.path)
        return " + ".join(f"{f} ({t})" for f, t in zip(self.files, self.file_types or (self.store_type,) * len(
            self.files), strict=False))

    @property
    def java_entries(self) -> tuple[StoreEntry, ...]:
        """The entries Java lists (keytool -list): everything but ignored PKCS12 certificates."""
        return tuple(e for e in self.entries if e.kind != "ignoredCertificate")

    @property
    def trusted(self) -> tuple[StoreEntry, ...]:
        return tuple(e for e in self.entries if e.kind == "trustedCertEntry" and e.cert is not None)

    def by_alias(self, alias: str) -> StoreEntry | None:
        for e in self.entries:
            if e.alias == alias.lower():
                return e
        return None


def detect_type(data: bytes) -> StoreType | None:
    """Store type from the first bytes: JKS and JCEKS by magic, PKCS12 by its DER shape, PEM by text."""
    if data[:4] == b"\xfe\xed\xfe\xed":
        return "JKS"
    if data[:4] == b"\xce\xce\xce\xce":
        return "JCEKS"
    if data.lstrip()[:10] == b"-----BEGIN":
        return "PEM"
    # PFX ::= SEQUENCE { version INTEGER (3), ... }: 30 <len> 02 01 03
    if data[:1] == b"\x30" and len(data) > 8:
        n = data[1]
        offset = 2 + (n & 0x7F if n & 0x80 else 0)
        if data[offset:offset + 3] == b"\x02\x01\x03":
            return "PKCS12"
    return None


class _PasswordProblem(TruststoreError):
    """Raised by the readers; `read` words it, naming the variable the password comes from."""

    def __init__(self, kind: str, given: bool) -> None:
        super().__init__(kind)
        self.kind, self.given = kind, given


def read(path: Path, password: str | None, *, password_env: str | None = None,
         path_from: str = "[truststore] path (or --truststore)",
         env_from: str = "[truststore] password_env", jsse: bool = False) -> StoreContents:
    """Read the store at `path` without ever writing to it.

    `password_env` is the variable the password came from, and `path_from` / `env_from` what names the path and
    that variable for this caller (the gates' datacenters.toml, or a command's argument), so that an error says
    what to change where the person can change it.

    `jsse`: read as JSSE reads its default trust store, whose password is optional: with none, a JKS is read
    without checking its integrity, and a PKCS12 whose certificates are encrypted holds no entry at all (every
    handshake of that client fails), rather than a usage error.
    """
    try:
        return _read(path, None if jsse and not password else password, path_from, jsse)
    except _PasswordProblem as e:
        if jsse and not password and not e.given:
            return StoreContents(Path(path), e.kind, (), "python")
        variable = f"{password_env} (the variable {env_from} names)" if password_env else \
            f"the environment variable {env_from} names"
        if e.given:
            raise TruststoreError(f"truststore {path} ({e.kind}): the password is wrong (keystore password was "
                                  f"incorrect). Set {variable} to the store's password.") from None
        raise TruststoreError(f"truststore {path} ({e.kind}) is password-protected but no password was given: "
                              f"set {variable} to it; Java would silently see no entries.") from None


def read_files(paths: Sequence[Path], password: str | None, *, password_env: str | None = None,
               path_from: str = "[truststore] path (or --truststore)",
               env_from: str = "[truststore] password_env", jsse: bool = False) -> StoreContents:
    """Read the files a client trusts together (`cutover.config.Client.store_files`) as one union (`union`).

    Each file is opened as `read` opens a single store, with the one `password`: the client has one password_env,
    and it applies to every file that needs a password. With none (password_env = ""), each file is opened as Java
    opens a store given no password, as the probe does: a JKS is read whole without its integrity checked, a
    PKCS12 whose certificates are encrypted shows none. That is how files with different passwords of their own
    are judged together (WebLogic's DemoTrust.jks and a JDK's cacerts). An error names the file and that it is
    one of the list.
    """
    if len(paths) == 1:
        return read(paths[0], password, password_env=password_env, path_from=path_from, env_from=env_from, jsse=jsse)
    parts = []
    for path in paths:
        try:
            parts.append(read(path, password, password_env=password_env, path_from=path_from, env_from=env_from,
                              jsse=jsse or password is None))
        except TruststoreError as e:
            raise TruststoreError(
                f"{e} (It is one of the {len(paths)} files the client trusts together, {', '.join(map(str, paths))}: "
                "each is opened with the client's one password, so every file that has a password must have that "
                "one; or set password_env = \"\" for the client to open every file as Java opens one given no "
                "password.)") from None
    return merged(parts)


def merged(parts: Sequence[StoreContents]) -> StoreContents:
    """One union of stores read one file each: every entry keeps the file that holds it (`StoreEntry.file`).
    Sorted by alias, then by the file's place in the list, so that `by_alias` finds the first file's first."""
    entries = in_union_order((replace(e, file=p.path) for p in parts for e in p.entries), [p.path for p in parts])
    first = parts[0]
    return StoreContents(first.path, first.store_type, entries, first.read_by,
                         union=tuple(p.path for p in parts[1:]), file_types=tuple(p.store_type for p in parts))


def in_union_order(entries: Iterable[StoreEntry], files: Sequence[Path]) -> tuple[StoreEntry, ...]:
    """Entries sorted by alias, then by their file's place in `files` (an entry with no file: the first's), so
    that `StoreContents.by_alias` finds the first file's entry first, whoever read the store (Python or the JVM)."""
    order: dict[Path, int] = {}
    for n, f in enumerate(files):
        order.setdefault(Path(f), n)  # a file listed twice keeps its first place
    return tuple(sorted(entries, key=lambda e: (e.alias, order[e.file] if e.file is not None else 0)))


def _read(path: Path, password: str | None, path_from: str, jsse: bool = False) -> StoreContents:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise TruststoreError(f"truststore {path} cannot be read: {e.strerror}. Check the path and permissions.") \
            from None
    kind = detect_type(data)
    if kind is None:
        raise TruststoreError(
            f"truststore {path} is not a keystore: it is neither JKS, JCEKS, PKCS12 nor PEM. "
            f"Point {path_from} at the file your client's javax.net.ssl.trustStore names."
        )
    try:
        if kind in ("JKS", "JCEKS"):
            entries = _read_jks(data, password, path, jsse)
        elif kind == "PKCS12":
            entries = _read_pkcs12(data, password, path)
        else:
            entries = tuple(
                StoreEntry(f"pem-{i}", "trustedCertEntry", CertInfo.from_der(c.public_bytes(Encoding.DER)))
                for i, c in enumerate(x509.load_pem_x509_certificates(data))
            )
    except TruststoreError:
        raise
    except Exception as e:  # a truncated or corrupted file surfaces as many different exceptions
        raise TruststoreError(
            f"truststore {path} ({kind}) is corrupted or truncated and cannot be read ({type(e).__name__}: {e}). "
            "Restore it from the copy your client uses."
        ) from None
    return StoreContents(Path(path), kind, entries, "python")


def _read_jks(data: bytes, password: str | None, path: Path, jsse: bool = False) -> tuple[StoreEntry, ...]:
    import jks

    try:
        # try_decrypt_keys=False: pyjks crashes decrypting private keys written by JDK 21+,
        # and a truststore's job is its certificates anyway.
        # A JVM given no password reads a JKS without checking its integrity; pyjks does the same given None.
        ks = jks.KeyStore.loads(data, password if jsse and password is None else password or "",
                                try_decrypt_keys=False)
    except jks.util.KeystoreSignatureException:
        raise _PasswordProblem("JKS", password is not None) from None
    entries: list[StoreEntry] = []
    for alias, entry in ks.certs.items():
        entries.append(StoreEntry(alias.lower(), "trustedCertEntry", CertInfo.from_der(entry.cert)))
    for alias, entry in ks.private_keys.items():
        chain = entry.cert_chain
        entries.append(StoreEntry(alias.lower(), "PrivateKeyEntry", CertInfo.from_der(chain[0][1]) if chain else None))
    for alias in ks.secret_keys:
        entries.append(StoreEntry(alias.lower(), "SecretKeyEntry", None))
    return tuple(sorted(entries, key=lambda e: e.alias))


def _read_pkcs12(data: bytes, password: str | None, path: Path) -> tuple[StoreEntry, ...]:
    try:
        bags = pkcs12.read_bags(data, password)
    except pkcs12.PKCS12Error as e:
        if e.wrong_password:
            raise _PasswordProblem("PKCS12", password is not None) from None
        raise TruststoreError(f"truststore {path} (PKCS12) is corrupted or cannot be read: {e}.") from None
    keys = {b.local_key_id: b for b in bags if b.kind == "key" and b.local_key_id}
    entries: list[StoreEntry] = []
    for key in keys.values():
        cert = next((b for b in bags if b.kind == "cert" and b.local_key_id == key.local_key_id), None)
        entries.append(StoreEntry(key.alias or "", "PrivateKeyEntry",
                                  CertInfo.from_der(cert.der) if cert and cert.der else None))
    entries += [StoreEntry(b.alias or "", "SecretKeyEntry", None) for b in bags if b.kind == "secret"]
    for i, b in enumerate(bags):
        if b.kind != "cert" or b.der is None or (b.local_key_id and b.local_key_id in keys):
            continue
        # Java's PKCS12KeyStore makes a trustedCertEntry only of a bag with Oracle's trusted-key-usage
        # attribute; any other certificate is ignored by Java (keytool -list does not show it).
        kind: EntryKind = "trustedCertEntry" if b.trusted else "ignoredCertificate"
        entries.append(StoreEntry(b.alias or f"(no alias #{i})", kind, CertInfo.from_der(b.der)))
    return tuple(sorted(entries, key=lambda e: e.alias))
