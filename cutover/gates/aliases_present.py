"""Gate 3, per client and data centre: the bundle's root and intermediate are in the truststore under their
aliases."""

from __future__ import annotations

from cutover.config import Client, DataCenter
from cutover.gates.fixplan import Action
from cutover.gates.remedies import GIVE_PASSWORD, READ_STORE
from cutover.gates.storeplan import StorePlan, decide, wants
from cutover.gates.verdict import GateVerdict, failed
from cutover.stores.bundle import Bundle
from cutover.stores.truststore import StoreContents


def aliases_present(dc: DataCenter, store: StoreContents | None, bundle: Bundle,
                    store_error: str | None, plan: StorePlan | None = None, client: Client | None = None,
                    store_why: str = "") -> GateVerdict:
    """The store holds the bundle's root and intermediate as trusted entries under the configured aliases.

    `plan`: the steps decided for the whole store file (`cutover.gates.storeplan.plans`), of which this gate
    quotes those on its two aliases; without one, a plan of this data centre alone. `client` and `store_why`:
    whose store it is and why it is the file judged. A store its JSSE chose (an option's, the JDK's) is named with
    why, since it may not be the file the user thinks of; one opened with no password (the client's JVM gets none)
    that shows no entry is the password's problem, not the aliases'."""
    if store is None:
        return failed(f"the truststore could not be read by the judge: {store_error}", Action("local", READ_STORE))
    unopened = _no_password(dc, store, client, store_why)
    if unopened is not None:
        return unopened
    plan = plan or decide(store, wants([dc], {dc.code: bundle}))
    problems: list[str] = []
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
                    f"{', '.join(map(repr, elsewhere))} instead of {alias!r}. Import it under {alias!r} too (the "
                    f"same certificate under two aliases is fine in a Java truststore, and the other alias stays "
                    f"for whatever names it), or set {role}_alias = \"{elsewhere[0]}\" for {dc.code} in "
                    "datacenters.toml."
                )
            else:
                problems.append(
                    f"alias {alias!r} is missing: the bundle's {role} CA {cert.short} is not in the truststore, "
                    f"so the client cannot build a path to the new chain. Import it."
                )
        elif entry.kind != "trustedCertEntry" or entry.cert is None:
            what = ("a certificate Java ignores (a PKCS12 bag without Oracle's trusted-key-usage attribute, "
                    "as openssl pkcs12 -export writes)" if entry.kind == "ignoredCertificate" else f"a {entry.kind}")
            problems.append(f"alias {alias!r} is {what}, not a trusted certificate entry; Java does not trust it "
                            f"as a CA. Delete it and import the bundle's {role} CA with keytool -trustcacerts.")
        elif entry.cert.sha256 != cert.sha256:
            same_name = " (same subject: an older or other edition of that CA, e.g. last year's)" \
                if entry.cert.subject == cert.subject else ""
            aside = [a.dest_alias for a in plan.on(alias) if a.kind == "changealias"]
            problems.append(
                f"alias {alias!r} holds a different certificate: {entry.cert.short}{same_name}, not the bundle's "
                f"{role} CA {cert.short}. Replace it with the bundle's"
                + (f", keeping the old one as {aside[0]!r}: production's current chain still needs it until the "
                   "cutover." if aside else ".")
                + (f" (The bundle's {role} is also under {', '.join(map(repr, elsewhere))}.)" if elsewhere else "")
            )
    if problems:
        jsse = client is not None and client.jsse and store_why
        judged = f" The store judged is {store.path}: {store_why}." if jsse else ""
        return failed(f"{dc.code}: " + " ".join(problems) + judged, *plan.on(dc.root_alias, dc.intermediate_alias))
    return GateVerdict(True, f"{dc.code}: root under {dc.root_alias!r} and intermediate under "
                             f"{dc.intermediate_alias!r} match the bundle by SHA-256 (store read by {store.read_by})")


def _no_password(dc: DataCenter, store: StoreContents, client: Client | None, store_why: str) -> GateVerdict | None:
    """A PKCS12 that shows no entry to a client whose JVM gets no password: its password is what is missing."""
    if client is not None and client.jsse and not client.password_env and not store.entries \
            and store.store_type.upper() == "PKCS12":
        return failed(
            f"{dc.code}: the truststore {store.path} ({store_why or 'as JSSE opens it'}) shows no entry as the "
            "client's JVM opens it: the client gets no trust-store password (no password_env for it), and a PKCS12 "
            "whose certificates are encrypted (keytool's default) then holds no anchor, so every handshake fails. "
            "If its start script passes -Djavax.net.ssl.trustStorePassword, set password_env = \"VARIABLE\" for the "
            "client in datacenters.toml (the variable that holds that password); if it passes none, the client "
            "itself trusts nothing: give its JVM the password.", Action("local", GIVE_PASSWORD))
    return None
