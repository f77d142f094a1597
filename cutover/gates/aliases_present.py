"""Gate 3, per client and data centre: the bundle's root and intermediate are in the truststore under their
aliases."""

from __future__ import annotations

from cutover.config import DataCenter
from cutover.gates.fixplan import Action
from cutover.gates.remedies import READ_STORE, import_action, store_action
from cutover.gates.verdict import GateVerdict, failed
from cutover.stores.bundle import Bundle
from cutover.stores.truststore import StoreContents


def aliases_present(dc: DataCenter, store: StoreContents | None, bundle: Bundle,
                    store_error: str | None) -> GateVerdict:
    """The store holds the bundle's root and intermediate as trusted entries under the configured aliases."""
    if store is None:
        return failed(f"the truststore could not be read by the judge: {store_error}", Action("local", READ_STORE))
    problems: list[str] = []
    remedy: list[Action] = []
    for role, alias, cert in (("root", dc.root_alias, bundle.root), ("intermediate", dc.intermediate_alias,
                                                                   bundle.intermediate)):
        assert alias is not None  # config requires both aliases when a bundle is set
        entry = store.by_alias(alias)
        elsewhere = [e.alias for e in store.trusted if e.cert is not None and e.cert.sha256 == cert.sha256
                     and e.alias != alias.lower()]
        if entry is None:
            if elsewhere:
                problems.append(
                    f"the bundle's {role} CA {cert.name} is in the truststore, but under alias "
                    f"{', '.join(map(repr, elsewhere))} instead of {alias!r}. Either set "
                    f"{role}_alias = \"{elsewhere[0]}\" for {dc.code} in datacenters.toml, or rename the entry."
                )
                remedy.append(store_action(store, "changealias", elsewhere[0], cert, dest_alias=alias))
            else:
                problems.append(
                    f"alias {alias!r} is missing: the bundle's {role} CA {cert.short} is not in the truststore, "
                    f"so the client cannot build a path to the new chain. Import it."
                )
                remedy.append(import_action(store, alias, bundle, cert))
        elif entry.kind != "trustedCertEntry" or entry.cert is None:
            what = ("a certificate Java ignores (a PKCS12 bag without Oracle's trusted-key-usage attribute, "
                    "as openssl pkcs12 -export writes)" if entry.kind == "ignoredCertificate" else f"a {entry.kind}")
            problems.append(f"alias {alias!r} is {what}, not a trusted certificate entry; Java does not trust it "
                            f"as a CA. Delete it and import the bundle's {role} CA with keytool -trustcacerts.")
            remedy += [store_action(store, "delete", alias, entry.cert), import_action(store, alias, bundle, cert)]
        elif entry.cert.sha256 != cert.sha256:
            same_name = " (same subject: an older or other edition of that CA, e.g. last year's)" \
                if entry.cert.subject == cert.subject else ""
            problems.append(
                f"alias {alias!r} holds a different certificate: {entry.cert.short}{same_name}, not the bundle's "
                f"{role} CA {cert.short}. Replace it with the bundle's."
                + (f" (The bundle's {role} is also under {', '.join(map(repr, elsewhere))}.)" if elsewhere else "")
            )
            remedy += [store_action(store, "delete", alias, entry.cert), import_action(store, alias, bundle, cert)]
    if problems:
        return failed(f"{dc.code}: " + " ".join(problems), *remedy)
    return GateVerdict(True, f"{dc.code}: root under {dc.root_alias!r} and intermediate under "
                             f"{dc.intermediate_alias!r} match the bundle by SHA-256 (store read by {store.read_by})")
