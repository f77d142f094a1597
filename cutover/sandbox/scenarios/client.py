"""The client as it really runs (`Scenario.client`): the store its JDK's JSSE picks, the options its JVM applies,
the several files a runtime trusts together (WebLogic's Demo trust: DemoTrust.jks and the JDK's cacerts).

Each is the client's own, so it fails the gates of every pod (``pods``) or every data centre's store gate
(``all``); the suite's tests run them on one data centre and one pod. The JDK scenarios run the client's JVM from
a copy of the installed JDK whose lib/security holds a jssecacerts (`cutover.sandbox.jdk`), never the JDK itself.
"""

from __future__ import annotations

from collections.abc import Callable

from cutover.sandbox import pki
from cutover.sandbox.scenario import (
    INTERMEDIATE_ALIAS,
    PASSWORD_ENV,
    ROOT_ALIAS,
    ClientDraft,
    Scenario,
    StoreDraft,
)

#: A suite the sandbox's edge (an ECDSA key) cannot serve: RSA key exchange.
RSA_SUITE = "TLS_RSA_WITH_AES_128_GCM_SHA256"
CLIENT_FAULT = (("chain_trusted", "pods"),)
#: The second file of a client that trusts two together, as WebLogic's Demo trust reads one.
DEMO_TRUST = "DemoTrust.jks"
#: A store the client's JVM reads that holds none of the provider's CAs fails every pod and every store gate.
NO_ANCHOR = (("aliases_present", "all"), ("chain_trusted", "pods"))


def _provider_cas(draft: ClientDraft) -> list[tuple[str, pki.Issued]]:
    return [(ROOT_ALIAS, draft.ca.root), (INTERMEDIATE_ALIAS, draft.ca.inter)]


def _jssecacerts_shadows(draft: ClientDraft) -> None:
    """cacerts holds the provider's CAs (an administrator imported them there), but a jssecacerts without them
    sits beside it: JSSE reads only jssecacerts."""
    draft.truststore = ['path = "java:default"']
    someone = pki.make_root("Someone Else's Root CA", org="Somebody Else")
    draft.jdk_stores = {"cacerts": _provider_cas(draft), "jssecacerts": [("someone-elses-root", someone)]}


def _jssecacerts_holds(draft: ClientDraft) -> None:
    """Only the jssecacerts holds the provider's CAs (and last decade's root, which production's chain leads to); the
    JDK's cacerts is as installed, without them."""
    draft.truststore = ['path = "java:default"']
    draft.jdk_stores = {"jssecacerts": [*_provider_cas(draft), ("sandbox-root-2016", draft.ca.old_root)]}


def _store_by_option(draft: ClientDraft) -> None:
    draft.truststore = [f'password_env = "{PASSWORD_ENV}"']
    draft.java_options = [f"-Djavax.net.ssl.trustStore={draft.store}"]


def _store_by_option_no_password(draft: ClientDraft) -> None:
    draft.truststore = []
    draft.java_options = [f"-Djavax.net.ssl.trustStore={draft.store}"]


def _without_provider_cas(draft: StoreDraft) -> None:
    """The client's own file (the first of its list) holds none of the provider's CAs."""
    draft.root, draft.intermediate = False, None


def _trusts_demo_file(*entries: Callable[[ClientDraft], tuple[str, pki.Issued]]) -> Callable[[ClientDraft], None]:
    """The client trusts its store and a DemoTrust.jks together, which holds `entries`."""
    def plant(draft: ClientDraft) -> None:
        draft.union = {DEMO_TRUST: [entry(draft) for entry in entries]}

    return plant


def _root(draft: ClientDraft) -> tuple[str, pki.Issued]:
    return ROOT_ALIAS, draft.ca.root


def _inter(draft: ClientDraft) -> tuple[str, pki.Issued]:
    return INTERMEDIATE_ALIAS, draft.ca.inter


def _someone(draft: ClientDraft) -> tuple[str, pki.Issued]:
    return "someone-elses-root", pki.make_root("Someone Else's Root CA", org="Somebody Else")


def _pinned(draft: ClientDraft) -> tuple[str, pki.Issued]:
    assert draft.fault is not None, "the sandbox gives every client hook the faulted pod"
    return f"{draft.fault.dc}-lb-cert", draft.fault.leaf


def _options(*options: str) -> Callable[[ClientDraft], None]:
    def plant(draft: ClientDraft) -> None:
        draft.java_options = list(options)

    return plant


JSSECACERTS_LACKS_ROOT = Scenario(
    "jssecacerts-lacks-root", "the client's JDK has a jssecacerts without the provider's CAs, which its cacerts holds: "
    "JSSE reads jssecacerts alone", NO_ANCHOR, "The store judged is", client=_jssecacerts_shadows)
JSSECACERTS_HOLDS_ROOT = Scenario(
    "jssecacerts-holds-root", "only the client's JDK's jssecacerts holds the provider's CAs, its cacerts does not: "
    "JSSE reads jssecacerts, so the client is ready", (), "jssecacerts, which JSSE reads instead of its cacerts",
    client=_jssecacerts_holds)
STORE_BY_OPTION = Scenario(
    "store-by-option", "-Djavax.net.ssl.trustStore in the client's options names its store, and its JVM gets the "
    "store's password", (), "named by -Djavax.net.ssl.trustStore", client=_store_by_option)
STORE_BY_OPTION_NO_PASSWORD = Scenario(
    "store-by-option-no-password", "-Djavax.net.ssl.trustStore names the store, but the client's JVM gets no "
    "password: the PKCS12's certificates are encrypted, so it holds no anchor", NO_ANCHOR, "password_env",
    client=_store_by_option_no_password)
HTTPS_PROTOCOLS = Scenario(
    "https-protocols", "the client's -Dhttps.protocols=TLSv1 (applied by HttpsURLConnection) leaves no protocol "
    "staging speaks", CLIENT_FAULT, "No appropriate protocol", client=_options("-Dhttps.protocols=TLSv1"))
HTTPS_CIPHER_SUITES = Scenario(
    "https-cipher-suites", "the client's -Dhttps.cipherSuites names only a suite staging's key cannot serve",
    CLIENT_FAULT, f"-Dhttps.cipherSuites={RSA_SUITE}", client=_options(f"-Dhttps.cipherSuites={RSA_SUITE}"))
NO_SNI = Scenario(
    "no-sni", "the client sends no SNI (-Djsse.enableSNIExtension=false): the edge serves it its default certificate",
    CLIENT_FAULT, "this client sends no SNI", client=_options("-Djsse.enableSNIExtension=false"))
UNION_ROOT_IN_SECOND = Scenario(
    "union-root-in-second", "the client trusts two files together (WebLogic's Demo trust): its own holds none of "
    "the provider's CAs, the second (DemoTrust.jks) holds them, so the client is ready", (),
    "the 2 files the client's truststore lists, trusted together", store=_without_provider_cas,
    client=_trusts_demo_file(_root, _inter))
UNION_ROOT_IN_NEITHER = Scenario(
    "union-root-in-neither", "the client trusts two files together, and neither holds the provider's CAs: the fix "
    "imports them into the first file of its list", NO_ANCHOR, "(in none of its files)",
    store=_without_provider_cas, client=_trusts_demo_file(_someone))
UNION_LEAF_IN_SECOND = Scenario(
    "union-leaf-in-second", "the client trusts two files together, and the second (DemoTrust.jks) holds the "
    "provider's server certificate, pinned", (("no_lb_cert", "dc"),), f"-{DEMO_TRUST} (",
    client=_trusts_demo_file(_pinned))
