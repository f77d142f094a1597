"""Staging resolution over real DNS (the sandbox's server on loopback): each failure has its own message."""

from __future__ import annotations

import time
from collections.abc import Iterator

import dns.message
import dns.query
import pytest

from cutover.net.dns import edge_hostname_in, make_resolver, resolve_staging, staging_twin
from cutover.sandbox.dnsserver import DNSServer, Record, Zone

HOST = "abcd.fa.us2.oraclecloud.com"


@pytest.fixture
def zone() -> Zone:
    z = Zone()
    z.cname(HOST, f"{HOST}.edgekey.net")
    z.cname(f"{HOST}.edgekey.net", "e1.a.akamaiedge.net")
    z.address("e1.a.akamaiedge.net", "127.10.0.1")
    z.cname(f"{HOST}.edgekey-staging.net", "e1.a.akamaiedge-staging.net")
    z.address("e1.a.akamaiedge-staging.net", "127.20.0.1", "::1")
    return z


@pytest.fixture
def server(zone: Zone) -> Iterator[DNSServer]:
    s = DNSServer(zone)
    yield s
    s.stop()


def resolve(server: DNSServer, host: str = HOST, fallback: str | None = None, timeout: float = 2.0):
    return resolve_staging(host, make_resolver([(server.host, server.port)], timeout), fallback)


def test_staging_twin_follows_akamai_convention() -> None:
    assert staging_twin("x.edgekey.net") == "x.edgekey-staging.net"
    assert staging_twin("x.edgesuite.net.") == "x.edgesuite-staging.net"
    assert edge_hostname_in(["a.example.com", "a.example.com.edgesuite.net", "a1.g.akamai.net"]) \
        == "a.example.com.edgesuite.net"
    assert edge_hostname_in(["a.example.com", "lb.example.net"]) is None


@pytest.mark.e2e  # a DNS server on loopback: not in make test-fast
def test_resolves_chain_staging_and_production(server: DNSServer) -> None:
    ev = resolve(server)
    assert ev.problem is None
    assert ev.cname_chain == (HOST, f"{HOST}.edgekey.net", "e1.a.akamaiedge.net")
    assert ev.edge_hostname == f"{HOST}.edgekey.net"
    assert ev.staging_name == f"{HOST}.edgekey-staging.net"
    assert ev.staging_ips == ("127.20.0.1", "::1")  # A and AAAA
    assert ev.production_ips == ("127.10.0.1",)


@pytest.mark.e2e  # a DNS server on loopback: not in make test-fast
def test_hostname_nxdomain(server: DNSServer) -> None:
    ev = resolve(server, "nope.fa.us2.oraclecloud.com")
    assert ev.problem is not None
    assert "production hostname nope.fa.us2.oraclecloud.com does not exist (NXDOMAIN" in ev.problem


@pytest.mark.e2e  # a DNS server on loopback: not in make test-fast
def test_staging_nxdomain(server: DNSServer, zone: Zone) -> None:
    del zone[f"{HOST}.edgekey-staging.net"]
    ev = resolve(server)
    assert ev.problem is not None and f"staging name {HOST}.edgekey-staging.net does not exist" in ev.problem
    assert ev.production_ips == ("127.10.0.1",)  # what was learnt before the failure is kept


@pytest.mark.e2e  # a DNS server on loopback: not in make test-fast
def test_staging_no_answer(server: DNSServer, zone: Zone) -> None:
    zone["e1.a.akamaiedge-staging.net"] = Record()
    ev = resolve(server)
    assert ev.problem is not None and "has no A or AAAA record (NoAnswer)" in ev.problem


@pytest.mark.e2e  # a DNS server on loopback: not in make test-fast
def test_servfail(server: DNSServer, zone: Zone) -> None:
    zone[f"{HOST}.edgekey-staging.net"] = Record(behaviour="servfail")
    ev = resolve(server)
    assert ev.problem is not None and "SERVFAIL" in ev.problem


@pytest.mark.e2e  # a DNS server on loopback: not in make test-fast
def test_cname_loop_is_servfail_not_a_hang(server: DNSServer, zone: Zone) -> None:
    zone.cname(HOST, "loop-a.example.net")
    zone.cname("loop-a.example.net", HOST)
    ev = resolve(server)
    assert ev.problem is not None and "SERVFAIL" in ev.problem


@pytest.mark.e2e  # a DNS server on loopback: not in make test-fast
def test_timeout_is_bounded_and_says_so(server: DNSServer, zone: Zone) -> None:
    zone[f"{HOST}.edgekey-staging.net"] = Record(behaviour="drop")
    start = time.monotonic()
    ev = resolve(server, timeout=0.6)
    assert time.monotonic() - start < 3
    assert ev.problem is not None and "DNS timed out" in ev.problem and "after 0.6s" in ev.problem


@pytest.mark.e2e  # a DNS server on loopback: not in make test-fast
def test_no_edge_hostname_and_the_fallback(server: DNSServer, zone: Zone) -> None:
    zone.address(HOST, "127.10.0.1")
    ev = resolve(server)
    assert ev.problem is not None and "no Akamai edge hostname in the CNAME chain" in ev.problem
    assert "staging_hostname" in ev.problem
    ev = resolve(server, fallback=f"{HOST}.edgekey-staging.net")
    assert ev.problem is None and ev.staging_ips == ("127.20.0.1", "::1")


@pytest.mark.e2e  # a DNS server on loopback: not in make test-fast
def test_server_answers_over_tcp_too(server: DNSServer) -> None:
    query = dns.message.make_query(HOST + ".", "A")
    response = dns.query.tcp(query, server.host, port=server.port, timeout=2)
    assert [r.to_text() for rr in response.answer for r in rr][-1] == "127.10.0.1"
