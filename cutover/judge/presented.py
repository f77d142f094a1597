"""The chain a judging JVM was presented, as the evidence Python's own fetch would have recorded.

Every address a JVM judges has already been handshaken by it, and its trust manager was handed the
server's chain: fetching that chain again from Python doubled the handshakes of a run. So the JVM hands
the chain back (`cutover.judge.wire.Probed`) and the evidence is built from it, but only where it is
exactly what Python's fetch would have seen; everywhere else Python still fetches it itself:

- the JVM's handshake ran to its end (a refusal, a reset, plain HTTP, TLS 1.0, a silent peer, a chain Java
  will not parse: no chain, and Python's fetch says what happened in its own words);
- the JVM negotiated the protocol Python would have: it offered every version above the one it got, up to
  the highest Python offers (a server speaking TLS 1.3 to Python but 1.2 to a JVM told to offer only 1.2
  would record the wrong protocol);
- the JVM's ClientHello carries nothing that makes a server choose another chain: its options are only
  proxy and revocation settings (`NEUTRAL_PROPERTIES`); a client with ``-Djsse.enableSNIExtension=false``,
  say, would be shown the edge's default certificate where Python, which sends SNI, is shown the pod's;
- it went to the address the way Python's fetch goes: through the same proxy, or directly.

With several JVMs (clients of different JDKs or options), the chain of an address comes from the first,
in the order of the configuration's clients, that meets all of these; one chain suffices, since what
the network shows is observed once per pod.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

from cutover.config import Target
from cutover.config.proxy import Proxy, for_target
from cutover.judge.wire import Probed
from cutover.net.tls import ChainFetch, fetch_chain, presented

#: System properties that change where a JVM connects or how it judges, never what it sends in its
#: ClientHello: a JVM given only these is shown the chain Python is shown.
NEUTRAL_PROPERTIES = frozenset({
    "https.proxyHost", "https.proxyPort", "http.nonProxyHosts", "com.sun.net.ssl.checkRevocation",
    "com.sun.security.enableCRLDP", "com.sun.security.enableAIAcaIssuers", "ocsp.enable",
})

#: From oldest to newest, as both Java and Python's ssl module name them.
VERSIONS = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")

#: The newest version Python's fetch offers (its observer context offers every version up to it).
PYTHON_TOP = "TLSv1.3" if ssl.HAS_TLSv1_3 else "TLSv1.2"


def speaks_for_python(java_options: Sequence[str]) -> bool:
    """A JVM with these options sends the ClientHello that makes a server present what it presents to Python."""
    return all(o.startswith("-D") and o[2:].partition("=")[0] in NEUTRAL_PROPERTIES for o in java_options)


def negotiates_as_python(protocol: str | None, offered: Sequence[str]) -> bool:
    """The server gave the JVM `protocol` having been offered `offered`: would it give Python the same?

    A server picks the newest version both sides speak. The JVM got `protocol`, so the server speaks
    nothing newer that the JVM offered; if the JVM offered every version Python would offer above it,
    the server speaks nothing newer that Python offered either, and Python gets `protocol` too.
    """
    if protocol not in VERSIONS or VERSIONS.index(protocol) > VERSIONS.index(PYTHON_TOP):
        return False
    newer = VERSIONS[VERSIONS.index(protocol) + 1:VERSIONS.index(PYTHON_TOP) + 1]
    return all(v in offered for v in newer)


def chain_fetch(probed: Probed | None, port: int, sni: str, via: str | None) -> ChainFetch | None:
    """The record Python's fetch of (probed.ip, port, sni) would have made, from the JVM's handshake; None
    when the JVM's handshake cannot stand for it (then Python fetches). `via`: the proxy label Python's
    fetch would have gone through (the caller checks the JVM went the same way)."""
    if probed is None or probed.chain is None or not probed.chain:
        return None
    if not negotiates_as_python(probed.protocol, probed.offered):
        return None
    return presented(probed.ip, port, sni, probed.chain, probed.protocol, probed.seconds, via)


def chain_future(run_proxy: Proxy | None, t: Target, ip: str, jvm: Future[Probed | None] | None,
           pool: ThreadPoolExecutor) -> Future[ChainFetch]:
    """The chain presented at (t, ip): from the JVM's handshake when it can stand for Python's fetch, else
    fetched by Python once the JVM's answer says it cannot (or at once, where no JVM can)."""
    proxy = for_target(run_proxy, t.hostname, ip)
    fetch = partial(fetch_chain, ip, t.port, t.hostname, t.connect_timeout, t.handshake_timeout, proxy)
    if jvm is None:
        return pool.submit(fetch)
    out: Future[ChainFetch] = Future()

    def settle(probed: Probed | None) -> ChainFetch:
        return chain_fetch(probed, t.port, t.hostname, proxy.label if proxy else None) or fetch()

    def answered(f: Future[Probed | None]) -> None:
        # On the thread that reads the JVM's lines: hand on at once, or a full pipe would hold up the JVM.
        try:
            pool.submit(settle, f.result()).add_done_callback(partial(_copy, into=out))
        except RuntimeError:  # the pool is shut down: the run was stopped, and this address was not seen
            out.cancel()
        except Exception as e:  # anything else: say it, never hang
            out.set_exception(e)

    jvm.add_done_callback(answered)
    return out


def _copy(f: Future[ChainFetch], into: Future[ChainFetch]) -> None:
    error = f.exception()
    if error is not None:
        into.set_exception(error)
    else:
        into.set_result(f.result())
