"""The DNS scenarios again, through a real recursive resolver: Debian's unbound in front of the sandbox.

Users ask their company's resolver, not the provider's servers. A real resolver scrubs what an
authoritative server says outside its zone and asks each zone itself, retries a silent server on its
own schedule, turns a truncated answer into a TCP retry the client never sees, and gives up on long
CNAME chains by its own rules. Here unbound recurses (iterator only, no DNSSEC) with one stub zone per
zone the sandbox serves, and the gates ask unbound. Each scenario asserts the same exact set of failing
tests as against the sandbox directly, and the message; where unbound legitimately answers differently,
`THROUGH_A_RESOLVER` says what the gate then says, and why.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import pytest

from cutover.sandbox import PASSWORD_ENV, SCENARIOS, Sandbox
from tests.conftest import run_gates
from tests.sandbox.test_gates_sandbox import ipv6_loopback

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast

DCS = ("us2", "em3")  # the faulted data centre and one that must stay green
PODS = ("acme", "acme-test")
LISTEN = "127.54.0.1"
#: make test runs four through unbound: the good run, a missing name, the one scenario whose message differs
#: through a resolver, and a timeout named as the resolver's; the others, whose verdict and message are the
#: sandbox's own (SAME_VERDICT_OTHER_PATH), go to the slow tier that .ci/run also runs.
FAST_DNS = ("good", "no-staging-record", "long-cname-chain", "dns-timeout")
DNS_SCENARIOS = ("good", "no-staging-record", "staging-servfail", "no-edge-cname", "staging-is-production",
                 "cname-loop", "long-cname-chain", "dns-timeout", "tcp-only-dns", "ipv6-only-staging")

#: Where unbound answers differently from the sandbox's own server: scenario -> (what the failure
#: message then says, why). The set of failing tests is the same in every scenario.
THROUGH_A_RESOLVER: dict[str, tuple[str, str]] = {
    "long-cname-chain": (
        "SERVFAIL",
        "unbound follows at most 11 CNAMEs (its log: 'exceeded the maximum number of query restarts') and "
        "answers SERVFAIL, where the sandbox hands over all 20 names in one answer; the gate then says the "
        "resolver could not answer (SERVFAIL, 'often a broken or looping CNAME') instead of counting the chain.",
    ),
}
#: Same outcome and message, but reached another way; kept here so the difference is written down.
SAME_VERDICT_OTHER_PATH = {
    "dns-timeout": "unbound keeps retrying the silent server for seconds, longer than the sandbox's 1.5 s DNS "
                   "timeout, so the gate's own timeout fires first and names unbound as the server that was silent.",
    "tcp-only-dns": "unbound retries the truncated answer over TCP itself and answers the gate over UDP: the "
                    "client never sees the truncation.",
    "cname-loop": "unbound answers SERVFAIL for the loop, as the sandbox does.",
    "staging-servfail": "unbound passes on the authoritative server's SERVFAIL as its own.",
}


def unbound_exe() -> str | None:
    """Debian installs unbound in /usr/sbin, which is not on every user's PATH."""
    return shutil.which("unbound") or shutil.which("unbound", path="/usr/sbin:/usr/local/sbin")


class Unbound:
    """One unbound at a time, in the foreground, as a child of this process: no daemon to outlive the test.

    Every `start` is a fresh process, so no answer is cached from one case to the next.
    """

    def __init__(self, exe: str, workdir: Path) -> None:
        self.exe = exe
        self.workdir = workdir
        self.proc: subprocess.Popen[str] | None = None
        self.address: tuple[str, int] | None = None

    def config(self, port: int, upstream: tuple[str, int], zones: list[str]) -> str:
        # Only the stub zones resolve: "." is refused and queries leave from loopback, so nothing can
        # reach the internet even if a name outside them were asked.
        lines = [
            "server:", f"  interface: {LISTEN}", f"  port: {port}", "  do-daemonize: no", '  username: ""',
            '  chroot: ""', f'  directory: "{self.workdir}"', f'  pidfile: "{self.workdir}/unbound.pid"',
            "  use-syslog: no", '  logfile: ""', "  verbosity: 1", "  num-threads: 1", "  do-ip6: no",
            "  outgoing-interface: 127.0.0.1", "  do-not-query-localhost: no", '  module-config: "iterator"',
            "  qname-minimisation: no",  # the sandbox's flat zone has no empty non-terminals to minimise through
            "  access-control: 127.0.0.0/8 allow", '  local-zone: "." refuse',
            *(f'  local-zone: "{z}" transparent' for z in zones),
            "remote-control:", "  control-enable: no",
        ]
        for z in zones:
            lines += ["stub-zone:", f'  name: "{z}"', f"  stub-addr: {upstream[0]}@{upstream[1]}"]
        return "\n".join(lines) + "\n"

    def start(self, upstream: tuple[str, int], zones: list[str]) -> tuple[str, int]:
        """Start recursing into `upstream` for `zones`; return where to ask. Bounded: 3 ports, 10 s each."""
        self.stop()
        last = ""
        for _ in range(3):
            port = _free_port()
            conf = self.workdir / "unbound.conf"
            conf.write_text(self.config(port, upstream, zones))
            self.proc = subprocess.Popen([self.exe, "-d", "-c", str(conf)], stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True)
            if _wait_serving(self.proc, (LISTEN, port), 10):
                self.address = (LISTEN, port)
                return self.address
            last = self.stop()  # most likely the port was taken between our check and its bind
        raise RuntimeError(f"unbound did not start serving on {LISTEN}: {last[-2000:]}")

    def stop(self) -> str:
        """Stop it by its PID (SIGTERM, then SIGKILL after 10 s); return what it logged."""
        proc, self.proc, self.address = self.proc, None, None
        if proc is None:
            return ""
        if proc.poll() is None:
            proc.terminate()
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate(timeout=10)
        return out or ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LISTEN, 0))
        return s.getsockname()[1]


def _wait_serving(proc: subprocess.Popen[str], where: tuple[str, int], seconds: float) -> bool:
    """Any answer to a query for localhost. (unbound serves it itself) means it is up."""
    query = dns.message.make_query("localhost.", "A")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(dns.exception.Timeout, OSError):
            dns.query.udp(query, where[0], port=where[1], timeout=0.2)
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def unbound(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unbound]:
    exe = unbound_exe()
    if exe is None:
        pytest.skip("unbound is not installed (.ci/run installs it: apt-get install unbound)")
    resolver = Unbound(exe, tmp_path_factory.mktemp("unbound"))
    yield resolver
    resolver.stop()


def expected_failures(scenario: str) -> set[tuple[str, str]]:
    """The scenario's own statement of what fails, for the data centres and pods of these runs."""
    ids = {"pod": ["us2/acme"], "dc": ["us2"], "all": list(DCS), "dc-pods": [f"us2/{p}" for p in PODS]}
    return {(gate, i) for gate, scope in SCENARIOS[scenario].fails for i in ids[scope]}


@pytest.mark.parametrize("scenario", [s if s in FAST_DNS else pytest.param(s, marks=pytest.mark.slow)
                                      for s in DNS_SCENARIOS])
def test_dns_scenario_through_unbound(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                      unbound: Unbound, scenario: str) -> None:
    if scenario == "ipv6-only-staging" and not ipv6_loopback():
        pytest.skip("this machine has no IPv6 loopback (::1) to serve the IPv6-only staging name on")
    with Sandbox(scenario, pods_per_dc=len(PODS), datacenters=DCS) as sb:
        ip, port = unbound.start(sb.dns_address, sb.zones())
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        try:
            # The sandbox's datacenters.toml names its own server; --nameserver replaces it.
            run = run_gates(pytester, f"--datacenters={sb.config_path}", f"--nameserver={ip}:{port}")
        finally:
            log = unbound.stop()
    queries = re.search(r"server stats for thread 0: (\d+) queries", log)
    assert queries and int(queries[1]) >= 2 * len(DCS) * len(PODS), f"the gates did not ask unbound:\n{log}"
    expected = expected_failures(scenario)
    assert run.failed == expected, f"{scenario}: failed {sorted(run.failed)}, expected {sorted(expected)}"
    assert len(run.outcomes) == 3 * len(DCS) * len(PODS) + 2 * len(DCS)
    if not expected:
        assert run.result.ret == 0, run.output
        return
    says = THROUGH_A_RESOLVER.get(scenario, (SCENARIOS[scenario].says, ""))[0]
    message = run.messages[("staging_resolves", "us2/acme")]
    assert says in message, message
    if scenario == "dns-timeout":  # the silent server the gate names is the resolver it asked
        assert f"{ip}@{port}" in message or f"{ip}:{port}" in message, message


def test_unbound_stops_and_leaves_no_process(unbound: Unbound) -> None:
    with Sandbox("good", pods_per_dc=1, datacenters=("us2",)) as sb:
        unbound.start(sb.dns_address, sb.zones())
        proc = unbound.proc
        assert proc is not None
        pidfile = unbound.workdir / "unbound.pid"
        assert pidfile.read_text().strip() == str(proc.pid), "unbound ran in the foreground as our own child"
        log = unbound.stop()
    assert proc.returncode is not None and "service stopped" in log
    assert unbound.stop() == ""  # a second stop is harmless
