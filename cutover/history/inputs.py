"""What a run judged, by SHA-256 and entry: the ``inputs`` section's writer and its reader in one place.

The next run says what changed in what was judged (a truststore by entry, a bundle by certificate, the
datacenters file, the SRs, the clients, each client's runtime: `cutover.closing.news.input_changes`). The file
keeps the section without the entries, which its ``truststores`` and ``bundles`` sections hold already, nor the
runtimes, which each client's ``runtime`` holds (`as_written`); the reader (`read`) takes them from there.

A runtime is recorded by content and version only (each judged file's path and SHA-256, the JDK's vendor, version
and home), never by a file's time: a CI cache restore touches every file every night, and that is no news.
"""

from __future__ import annotations

from typing import Any

from cutover.base.digest import sha256_hex, sha256_of
from cutover.config import Config
from cutover.evidence import ClientEvidence, Evidence
from cutover.stores.bundle import Bundle
from cutover.stores.truststore import StoreContents

Json = dict[str, object]

#: The top-level members of a run's file that `read` takes what was judged from.
MEMBERS = ("inputs", "truststores", "bundles", "clients")

#: What a runtime says of a client no JVM judged (its verdicts are the approximate engine's).
NO_JDK = "not found: judged approximately"


def store_entries(store: StoreContents) -> dict[str, str | None]:
    """alias (as Java compares it: lower case) -> the certificate's SHA-256."""
    return {x.alias.lower(): x.cert.sha256 if x.cert else None for x in store.entries}


def bundle_certificates(b: Bundle) -> dict[str, str]:
    """SHA-256 -> ``root CN=...``: a bundle's certificates by fingerprint, with their role."""
    roles = [("root", b.root), *(("intermediate", x) for x in b.intermediates), *(("server", x) for x in b.servers)]
    return {x.sha256: f"{role} {x.subject}" for role, x in roles}


def runtime(c: ClientEvidence) -> Json:
    """The client's runtime as the JSON's ``clients.<name>.runtime`` holds it: every file judged (a union's too),
    each with its SHA-256, why that file, and the JDK that judged (None, with `NO_JDK` and why, when none did).
    What the next run compares (`cutover.closing.news`): a switched file, another JDK, a store replaced."""
    files = [{"path": str(p), "sha256": sha256_of(p)} for p in (c.store.files if c.store is not None else ())]
    jdk = None if c.jvm is None else {"vendor": c.jvm.vendor, "version": c.jvm.version, "home": c.jvm.home}
    return {"files": files, "why": c.store_why or None, "shadows": None if c.shadows is None else str(c.shadows),
            "jdk": jdk, "jdk_note": None if c.jvm is not None else f"{NO_JDK} ({c.engine_note or 'no JVM ran'})"}


def inputs(config: Config, ev: Evidence) -> Json:
    """What the run judged, with each truststore's entries (alias -> the certificate's SHA-256) and each bundle's
    certificates (SHA-256 -> role and name): what the comparison with the last run reads."""
    stores: Json = {}
    for name, c in ev.clients.items():
        if c.store is not None:
            stores[name] = {"path": str(c.store.path), "sha256": sha256_of(c.store.path),
                            "entries": store_entries(c.store)}
    bundles: Json = {}
    for code, b in ev.bundles.items():
        certs = bundle_certificates(b)
        # A bundle may be a folder: its fingerprint is then that of its certificates.
        sha = sha256_of(b.path) if b.path.is_file() else sha256_hex("".join(sorted(certs)).encode())
        bundles[code] = {"path": str(b.path), "sha256": sha.upper(), "certificates": certs}
    return {"datacenters_file": {"path": str(config.path), "sha256": sha256_of(config.path)},
            "clients": list(ev.clients), "truststores": stores, "bundles": bundles,
            "srs": {t.id: t.sr for t in config.targets},
            "runtimes": {name: runtime(c) for name, c in ev.clients.items()}}


def as_written(judged: Json) -> Json:
    """`inputs` as the file keeps it: without the entries, certificates and runtimes (see the module's docstring)."""
    def without(section: object, key: str) -> Json:
        assert isinstance(section, dict)
        return {name: {k: v for k, v in x.items() if k != key} for name, x in section.items()}

    kept = {k: v for k, v in judged.items() if k != "runtimes"}
    return {**kept, "truststores": without(judged["truststores"], "entries"),
            "bundles": without(judged["bundles"], "certificates")}


def read(doc: dict[str, Any]) -> dict[str, object]:
    """A run's ``inputs``, with each store's entries and each bundle's certificates taken from the file's own
    ``truststores`` and ``bundles`` sections (written once there); empty for a file from before inputs were kept."""
    section = doc.get("inputs")
    if not isinstance(section, dict):
        return {}
    out = dict(section)
    sections: dict[str, dict[str, Any]] = {k: _object(doc.get(k)) for k in ("truststores", "bundles")}
    stores = {}
    for name, store in _object(section.get("truststores")).items():
        written = _object(sections["truststores"].get(name))
        written = _object(sections["truststores"].get(str(written["same_as"]))) if "same_as" in written else written
        entries = {str(x.get("alias", "")).lower(): _object(x.get("certificate")).get("sha256")
                   for x in written.get("entries") or () if isinstance(x, dict)}
        stores[name] = {**_object(store), "entries": entries}
    bundles = {}
    for code, bundle in _object(section.get("bundles")).items():
        written = _object(sections["bundles"].get(code))
        certs = [("root", written.get("root")), *(("intermediate", c) for c in written.get("intermediates") or ()),
                 *(("server", c) for c in written.get("servers") or ())]
        bundles[code] = {**_object(bundle), "certificates": {
            str(_object(c).get("sha256")): f"{role} {_object(c).get('subject', '')}" for role, c in certs if c}}
    runtimes = {str(name): _runtime_of(_object(c)) for name, c in _object(doc.get("clients")).items()}
    return out | {"truststores": stores, "bundles": bundles, "runtimes": runtimes}


def _runtime_of(client: dict[str, Any]) -> dict[str, Any]:
    """A client's runtime as `runtime` wrote it; for a file from before it did, made of the fields that file has
    (its first store file, why, the JDK), marked ``first_only``: it never listed a union's other files, so only
    its first file can be compared."""
    if isinstance(client.get("runtime"), dict):
        return dict(client["runtime"])
    jvm = _object(_object(client.get("judge")).get("jvm")) or None
    path = client.get("truststore")
    return {"files": [{"path": path, "sha256": client.get("truststore_sha256")}] if isinstance(path, str) else [],
            "why": client.get("truststore_chosen"), "shadows": client.get("truststore_shadows"),
            "jdk": None if jvm is None else {k: jvm.get(k) for k in ("vendor", "version", "home")},
            "jdk_note": None if jvm is not None else NO_JDK, "first_only": True}


def _object(x: object) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}
