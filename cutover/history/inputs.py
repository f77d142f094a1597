"""What a run judged, by SHA-256 and entry: the ``inputs`` section's writer and its reader in one place.

The next run says what changed in what was judged (a truststore by entry, a bundle by certificate, the
datacenters file, the SRs, the clients: `cutover.closing.news.input_changes`). The file keeps the section
without the entries, which its ``truststores`` and ``bundles`` sections hold already (`as_written`); the
reader (`read`) takes them from there.
"""

from __future__ import annotations

from typing import Any

from cutover.base.digest import sha256_hex, sha256_of
from cutover.config import Config
from cutover.evidence import Evidence
from cutover.stores.bundle import Bundle
from cutover.stores.truststore import StoreContents

Json = dict[str, object]

#: The top-level members of a run's file that `read` takes what was judged from.
MEMBERS = ("inputs", "truststores", "bundles")


def store_entries(store: StoreContents) -> dict[str, str | None]:
    """alias (as Java compares it: lower case) -> the certificate's SHA-256."""
    return {x.alias.lower(): x.cert.sha256 if x.cert else None for x in store.entries}


def bundle_certificates(b: Bundle) -> dict[str, str]:
    """SHA-256 -> ``root CN=...``: a bundle's certificates by fingerprint, with their role."""
    roles = [("root", b.root), *(("intermediate", x) for x in b.intermediates), *(("server", x) for x in b.servers)]
    return {x.sha256: f"{role} {x.subject}" for role, x in roles}


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
            "srs": {t.id: t.sr for t in config.targets}}


def as_written(judged: Json) -> Json:
    """`inputs` as the file keeps it: without the entries and certificates (see the module's docstring)."""
    def without(section: object, key: str) -> Json:
        assert isinstance(section, dict)
        return {name: {k: v for k, v in x.items() if k != key} for name, x in section.items()}

    return {**judged, "truststores": without(judged["truststores"], "entries"),
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
    return out | {"truststores": stores, "bundles": bundles}


def _object(x: object) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}
