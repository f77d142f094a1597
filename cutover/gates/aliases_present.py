"""Gate 3, per client and data centre: the bundle's root and intermediate are in the truststore under their
aliases."""

from __future__ import annotations

from cutover.base.certs import CertInfo
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
    found: list[str] = []
    for role, alias, cert in (("root", dc.root_alias, bundle.root), ("intermediate", dc.intermediate_alias,
                                                                   bundle.intermediate)):
        assert alias is not None  # config requires both aliases when a bundle is set
        problem, where = _one_alias(dc, store, plan, role, alias, cert)
        if problem:
            problems.append(problem)
        else:
            found.append(f"{role} under {alias!r}{where}")
    if problems:
        jsse = client is not None and client.jsse and store_why
        judged = f" The store judged is {store.path}: {store_why}." if jsse else ""
        return failed(f"{dc.code}: " + " ".join(problems) + judged, *plan.on(dc.root_alias, dc.intermediate_alias))
    return GateVerdict(True, f"{dc.code}: {' and '.join(found)} match the bundle by SHA-256 (store read by "
                             f"{store.read_by})")


def _one_alias(dc: DataCenter, store: StoreContents, plan: StorePlan, role: str, alias: str,
               cert: CertInfo) -> tuple[str, str]:
    """What is wrong with one alias ('' when it holds the bundle's certificate), and where it is held.

    A union of files (WebLogic's Demo trust) holds the alias when some file holds it with the bundle's certificate;
    each is named with the file holding it, and what is missing is imported into the list's first file (the one
    its owner changes): an entry under the alias in another file may stay, since it adds an anchor and takes none
    away."""
    into = f" into {store.path} (the first file of the client's list: the one you change)" if store.union else ""
    holders = store.holding(alias)
    entry = next((e for e in holders if e.kind == "trustedCertEntry" and e.cert is not None
                  and e.cert.sha256 == cert.sha256), holders[0] if holders else None)
    where = f" in {store.file_of(entry)}" if store.union and entry is not None else ""
    others = [e for e in store.trusted if e.cert is not None and e.cert.sha256 == cert.sha256
              and e.alias != alias.lower()]
    elsewhere = [repr(e.alias) + (f" (in {store.file_of(e)})" if store.union else "") for e in others]
    if entry is None and others:
        return (f"the bundle's {role} CA {cert.name} is in the truststore, but under alias "
                f"{', '.join(elsewhere)} instead of {alias!r}. Import it under {alias!r} too{into} (the "
                "same certificate under two aliases is fine in a Java truststore, and the other alias stays for "
                f"whatever names it), or set {role}_alias = \"{others[0].alias}\" for {dc.code} in "
                "datacenters.toml."), where
    if entry is None:
        return (f"alias {alias!r} is missing: the bundle's {role} CA {cert.short} is not in the truststore"
                f"{' (in none of its files)' if store.union else ''}, so the client cannot build a path to the new "
                f"chain. Import it{into}."), where
    other_file = f"Import the bundle's {role} CA under {alias!r}{into}; the entry in {store.file_of(entry)} may " \
        "stay (a certificate in another file adds an anchor and takes none away)." \
        if store.union and store.file_of(entry) != store.path else ""
    if entry.kind != "trustedCertEntry" or entry.cert is None:
        what = ("a certificate Java ignores (a PKCS12 bag without Oracle's trusted-key-usage attribute, "
                "as openssl pkcs12 -export writes)" if entry.kind == "ignoredCertificate" else f"a {entry.kind}")
        return (f"alias {alias!r}{where} is {what}, not a trusted certificate entry; Java does not trust it as a "
                "CA. " + (other_file or f"Delete it and import the bundle's {role} CA with keytool -trustcacerts.")), \
            where
    if entry.cert.sha256 != cert.sha256:
        same_name = " (same subject: an older or other edition of that CA, e.g. last year's)" \
            if entry.cert.subject == cert.subject else ""
        aside = [a.dest_alias for a in plan.on(alias) if a.kind == "changealias"]
        fix = other_file or "Replace it with the bundle's" + (
            f", keeping the old one as {aside[0]!r}: production's current chain still needs it until the cutover."
            if aside else ".")
        return (f"alias {alias!r}{where} holds a different certificate: {entry.cert.short}{same_name}, not the "
                f"bundle's {role} CA {cert.short}. {fix}"
                + (f" (The bundle's {role} is also under {', '.join(elsewhere)}.)" if elsewhere else "")), \
            where
    return "", where


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
