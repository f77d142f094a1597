"""Behind a corporate proxy: choosing the proxy, the CONNECT tunnel and its failures, and gate runs through it.

The tunnels are real: a CONNECT proxy on 127.30.0.1 (the sandbox's), TLS endpoints on 127.20.x.y, and
the real JVM probe; the proxy's own log is the witness of what went through it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from cutover.config import ConfigError, Overrides, load
from cutover.config import proxy as proxy_mod
from cutover.config.proxy import Proxy, ProxyConfigError
from cutover.net.tls import fetch_chain
from cutover.net.tunnel import TunnelError, open_tunnel
from cutover.sandbox import PASSWORD_ENV, PROXY_PASSWORD_ENV, PROXY_USER, Sandbox
from cutover.sandbox.proxy import ConnectProxy
from tests.conftest import run_gates

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast

# -- choosing the proxy ---------------------------------------------------------------------------------


def test_parse_a_proxy_url() -> None:
    p = proxy_mod.parse("http://qa@proxy.corp.example:8080", "--proxy", password_env="PROXY_PW")
    assert (p.host, p.port, p.user, p.password_env) == ("proxy.corp.example", 8080, "qa", "PROXY_PW")
    assert p.label == "http://qa@proxy.corp.example:8080 (--proxy)"
    assert proxy_mod.parse("proxy:3128", "HTTPS_PROXY").url == "http://proxy:3128"  # no scheme: http
    assert proxy_mod.parse("http://[::1]:3128/", "--proxy").host == "::1"


@pytest.mark.parametrize(("url", "says"), [
    ("http://qa:s3cret@proxy:8080", "never write the proxy password in the URL"),
    ("https://proxy:8080", "https:// proxies are not supported"),
    ("socks5://proxy:1080", "socks5:// proxies are not supported"),
    ("http://proxy", "not http://host:port"),
    ("http://proxy:99999", "is not a TCP port"),
])
def test_bad_proxy_urls_say_what_to_write(url: str, says: str) -> None:
    with pytest.raises(ProxyConfigError, match=says) as err:
        proxy_mod.parse(url, "--proxy")
    assert "s3cret" not in str(err.value)  # a refused password is not echoed either


def test_a_password_in_https_proxy_is_used_but_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("https_proxy", "http://qa:p%40ss@proxy:8080")
    p = proxy_mod.from_environment({"https_proxy": "http://qa:p%40ss@proxy:8080"})
    assert p is not None and p.password() == "p@ss"
    assert "p@ss" not in repr(p) and "p%40ss" not in p.label and p.label == "http://qa@proxy:8080 (https_proxy)"


def test_which_proxy_wins() -> None:
    env = {"HTTPS_PROXY": "http://envproxy:3128", "NO_PROXY": "localhost,.corp.example,10.0.0.0/8"}
    assert proxy_mod.choose("http://cli:1", False, "http://toml:2", None, env).host == "cli"
    assert proxy_mod.choose(None, False, "http://toml:2", None, env).host == "toml"
    from_env = proxy_mod.choose(None, False, None, None, env)
    assert from_env.host == "envproxy" and from_env.source == "HTTPS_PROXY"
    assert proxy_mod.choose(None, True, "http://toml:2", None, env) is None  # --no-proxy
    assert proxy_mod.choose(None, False, "direct", None, env) is None  # the toml says direct
    with pytest.raises(ProxyConfigError, match="contradict"):
        proxy_mod.choose("http://cli:1", True, None, None, env)
    # NO_PROXY: host suffixes and networks are reached directly.
    assert proxy_mod.for_target(from_env, "abcd.fa.us2.oraclecloud.com", "23.1.2.3") is from_env
    assert proxy_mod.for_target(from_env, "app.corp.example", "23.1.2.3") is None
    assert proxy_mod.for_target(from_env, "abcd.fa.us2.oraclecloud.com", "10.1.2.3") is None


def test_the_clients_own_proxy_steers_the_jvm() -> None:
    run = proxy_mod.parse("http://qa@proxy:3128", "[run] proxy", password_env="PW")
    assert proxy_mod.client_proxy(["-Dcom.sun.net.ssl.checkRevocation=true"], run) is run
    own = proxy_mod.client_proxy(["-Dhttps.proxyHost=clientproxy", "-Dhttps.proxyPort=8443",
                                  "-Dhttp.nonProxyHosts=*.internal|localhost"], run)
    assert (own.host, own.port, own.user) == ("clientproxy", 8443, None)
    assert own.source == "-Dhttps.proxyHost in the client's java_options"
    assert proxy_mod.client_proxy(["-Dhttps.proxyHost=p"], None).port == 443  # Java's default
    assert proxy_mod.for_target(own, "db.internal", "10.0.0.1") is None
    assert proxy_mod.for_target(own, "abcd.fa.us2.oraclecloud.com", "10.0.0.1") is own
    # The client's proxy is the run's: the run's credentials go with it.
    assert proxy_mod.client_proxy(["-Dhttps.proxyHost=proxy", "-Dhttps.proxyPort=3128"], run).user == "qa"
    with pytest.raises(ProxyConfigError, match=r"-Dhttps\.proxyPort=eighty"):
        proxy_mod.client_proxy(["-Dhttps.proxyHost=p", "-Dhttps.proxyPort=eighty"], None)


@pytest.fixture(scope="module")
def edge() -> Iterator[Sandbox]:
    """One pod behind the sandbox's open proxy: the TLS endpoints and a proxy to reach them with."""
    with Sandbox("via-proxy", pods_per_dc=2, datacenters=("us2", "em3")) as sb:
        yield sb


def test_config_reads_the_proxy_and_refuses_a_user_without_password(edge: Sandbox) -> None:
    env = {PASSWORD_ENV: edge.password}
    cfg = load(edge.config_path, environ=env)
    assert cfg.proxy is not None and cfg.proxy.url == edge.proxy.url and cfg.proxy.source == "[run] proxy"
    assert load(edge.config_path, Overrides(no_proxy=True), environ=env).proxy is None
    with pytest.raises(ConfigError, match=f"names user 'qa-runner' but its password is not set: export "
                                          f"{PROXY_PASSWORD_ENV}"):
        load(edge.config_path, Overrides(proxy=f"http://qa-runner@{edge.proxy.host}:{edge.proxy.port}"), environ=env)
    text = edge.config_path.read_text().replace('proxy = "', 'proxy = "https://')
    bad = edge.workdir / "bad-proxy.toml"  # beside the sandbox's stores and bundles, which it names
    bad.write_text(text)
    with pytest.raises(ConfigError, match=rf"{bad}: \[run\] proxy .*https:// proxies are not supported"):
        load(bad, Overrides(truststore=edge.truststore_path), environ=env)


# -- the tunnel and its failures ------------------------------------------------------------------------


def test_the_chain_is_fetched_through_the_tunnel_with_the_production_sni(edge: Sandbox) -> None:
    assert edge.proxy is not None
    via = proxy_mod.parse(edge.proxy.url, "--proxy")
    host = Sandbox.hostname("us2", "acme")
    port = load(edge.config_path, environ={PASSWORD_ENV: edge.password}).targets[0].port
    before = len(edge.proxy_log)
    fetch = fetch_chain(edge.staging_ips[0], port, host, 5, 5, via)
    assert fetch.error is None and fetch.via == via.label
    assert host in fetch.leaf.sans  # the pod's own certificate: the SNI went through the tunnel
    assert [(e.target, e.status, e.user_agent) for e in edge.proxy_log[before:]] == \
        [(f"{edge.staging_ips[0]}:{port}", 200, "cutover")]


@contextlib.contextmanager
def one_shot_server(answer: bytes | None) -> Iterator[int]:
    """A port that accepts one connection, reads the request, then says `answer` (None: nothing) and closes."""
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(10)

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = srv.accept()
            with conn:
                conn.recv(4096)
                if answer:
                    conn.sendall(answer)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield srv.getsockname()[1]
    finally:
        srv.close()
        t.join(timeout=5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fail(p: Proxy, timeout: float = 5) -> TunnelError:
    with pytest.raises(TunnelError) as err:
        open_tunnel(p, "127.20.0.1", 443, timeout)
    return err.value


def test_every_proxy_failure_names_the_proxy_its_answer_and_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    refused = _fail(proxy_mod.parse(f"http://127.0.0.1:{_free_port()}", "--proxy"))
    assert refused.kind == "refused" and "refused the connection: nothing listens there" in str(refused)
    assert "--no-proxy" in str(refused)

    with one_shot_server(None) as port:
        closed = _fail(proxy_mod.parse(f"http://127.0.0.1:{port}", "--proxy"))
    assert closed.kind == "closed" and "closed the connection without answering CONNECT 127.20.0.1:443" in str(closed)

    with one_shot_server(b"SSH-2.0-OpenSSH_9.2\r\n") as port:
        garbled = _fail(proxy_mod.parse(f"http://127.0.0.1:{port}", "--proxy"))
    assert garbled.kind == "garbled" and "is this an HTTP proxy" in str(garbled)

    # A tunnel that opens and closes at once: the handshake fails, and the message names the proxy.
    with one_shot_server(b"HTTP/1.1 200 Connection established\r\n\r\n") as port:
        cut = fetch_chain("127.20.0.1", 443, "acme.fa.us2.oraclecloud.com", 5, 5,
                          proxy_mod.parse(f"http://127.0.0.1:{port}", "--proxy"))
    assert cut.error is not None and f"through proxy http://127.0.0.1:{port} (--proxy) failed" in cut.error

    for behaviour, kind, says in (("auth", "status", "407 Proxy Authentication Required' (Basic realm="),
                                  ("forbid", "status", "'HTTP/1.1 403 Forbidden' to CONNECT 127.20.0.1:443"),
                                  ("silent", "timeout", "did not answer CONNECT 127.20.0.1:443 within 1s")):
        server = ConnectProxy(behaviour=behaviour, user="qa", password="right", forbidden={"127.20.0.1"})
        try:
            err = _fail(proxy_mod.parse(server.url, "--proxy"), timeout=1)
            assert err.kind == kind and says in str(err) and server.url in str(err), str(err)
            if behaviour == "auth":
                assert "Give the user in the proxy URL" in str(err)
                monkeypatch.setenv("PW", "wrong")
                wrong = _fail(proxy_mod.parse(f"http://qa@{server.host}:{server.port}", "--proxy", password_env="PW"))
                assert "rejected the credentials of user 'qa'" in str(wrong) and "wrong" not in str(wrong)
        finally:
            server.stop()


# -- gate runs through the proxy ------------------------------------------------------------------------


def _staging_targets(sb: Sandbox) -> set[str]:
    port = load(sb.config_path, environ={PASSWORD_ENV: sb.password}).targets[0].port
    return {f"{ip}:{port}" for ip in sb.staging_ips}


def test_every_staging_handshake_went_through_the_proxy(pytester: pytest.Pytester, edge: Sandbox,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, edge.password)
    before = len(edge.proxy_log)
    run = run_gates(pytester, "--datacenters", str(edge.config_path), f"--reports-dir={pytester.path / 'r'}")
    log = edge.proxy_log[before:]
    staging = _staging_targets(edge)
    proxy_url = edge.proxy.url
    assert run.result.ret == 0, run.output
    assert len(staging) == 4
    assert all(e.status == 200 for e in log)
    by_agent = Counter(e.user_agent.split(" ")[0] for e in log)
    seen = {e.target for e in log if e.user_agent.split(" ")[0] == "cutover-probe"}
    assert staging <= seen, f"the JVM's probe: not through the proxy: {sorted(staging - seen)}"
    # One handshake per address (issue 24): the chain is the JVM's, so Python's fetch never connected. Where it
    # must fetch, it tunnels too (test_the_chain_is_fetched_through_the_tunnel_with_the_production_sni).
    assert by_agent["cutover"] == 0 and by_agent["cutover-probe"] == len(log), by_agent
    hosts = {e.target.rpartition(":")[0] for e in log}
    assert not any("oraclecloud" in h or "akamai" in h for h in hosts), "the proxy must be asked for IPs only"
    doc = json.loads(next((pytester.path / "r").glob("*.json")).read_text())
    record = next(r for r in doc["records"] if r["gate"] == "chain_trusted")
    assert f"through proxy {proxy_url} ([run] proxy)" in record["message"]
    pod = doc["pods"][record["evidence"]["pod"]]  # cutover-evidence/2: each pod's evidence once, records refer
    assert all(v["via"] == f"{proxy_url} ([run] proxy)" for v in pod["trust"][record["client"]]["verdicts"])
    assert all(c["via"] for c in pod["presented_chains"])
    assert doc["environment"]["Proxy"] == f"{proxy_url} ([run] proxy)"
    assert f"Proxy: {proxy_url} ([run] proxy)" in run.output  # the terminal says it too


def test_a_proxy_that_wants_a_password_gets_it_from_the_environment_only(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox("proxy-auth-required", pods_per_dc=1, datacenters=("us2",)) as sb:
        monkeypatch.setenv(PASSWORD_ENV, sb.password)
        url = f"--proxy=http://{PROXY_USER}@{sb.proxy.host}:{sb.proxy.port}"
        monkeypatch.setenv(PROXY_PASSWORD_ENV, "not-the-password")
        wrong = run_gates(pytester, "--datacenters", str(sb.config_path), url)
        monkeypatch.setenv(PROXY_PASSWORD_ENV, sb.proxy_password)
        right = run_gates(pytester, "--datacenters", str(sb.config_path), url, f"--reports-dir={pytester.path / 'r'}")
        users = {e.user for e in sb.proxy_log}
        secret = sb.proxy_password
    assert wrong.failed == {("chain_trusted", "us2/acme"), ("new_cert_staged", "us2/acme")}
    assert "rejected the credentials of user 'qa-runner'" in wrong.messages[("chain_trusted", "us2/acme")]
    assert right.result.ret == 0, right.output
    assert users == {PROXY_USER}
    for f in (pytester.path / "r").iterdir():
        assert secret not in f.read_text(errors="replace"), f"the proxy password leaked into {f.name}"
    assert secret not in right.output and "not-the-password" not in wrong.output
    doc = json.loads(next((pytester.path / "r").glob("*.json")).read_text())
    assert doc["environment"]["Proxy"].endswith(f"(--proxy); password from ${PROXY_PASSWORD_ENV}")


def test_the_jvm_uses_the_clients_own_proxy_and_the_report_says_so(pytester: pytest.Pytester, edge: Sandbox,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, edge.password)
    before = len(edge.proxy_log)
    run = run_gates(pytester, "--datacenters", str(edge.config_path), "--no-proxy", "--dc=us2",
                    f"--java-option=-Dhttps.proxyHost={edge.proxy.host}",
                    f"--java-option=-Dhttps.proxyPort={edge.proxy.port}", f"--reports-dir={pytester.path / 'r'}")
    agents = {e.user_agent.split(" ")[0] for e in edge.proxy_log[before:]}
    us2 = edge.place("us2")
    staging = {t for t in _staging_targets(edge) if t.startswith(f"127.20.{us2}.")}
    targets = {e.target for e in edge.proxy_log[before:]}
    proxy_url = edge.proxy.url
    assert run.result.ret == 0, run.output
    assert agents == {"cutover-probe"}, "--no-proxy: our own fetch goes direct, the client's JVM through its proxy"
    production = {t.replace("127.20.", "127.10.", 1) for t in staging}  # the JVM judges what clients get today too
    assert targets == staging | production
    doc = json.loads(next((pytester.path / "r").glob("*.json")).read_text())
    client_proxy = f"{proxy_url} (-Dhttps.proxyHost in the client's java_options)"
    record = next(r for r in doc["records"] if r["gate"] == "chain_trusted")
    assert f"through proxy {client_proxy}" in record["message"]
    pod = doc["pods"][record["evidence"]["pod"]]
    assert [c["via"] for c in pod["presented_chains"]] == [None, None]  # ours: direct
    assert doc["environment"]["Proxy"] == "none: direct connections"
    assert doc["environment"]["JVM's proxy"] == client_proxy


def test_https_proxy_from_the_environment_and_no_proxy(pytester: pytest.Pytester, edge: Sandbox,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, edge.password)
    text = edge.config_path.read_text()
    plain = edge.workdir / "no-proxy-key.toml"
    plain.write_text("\n".join(line for line in text.splitlines() if not line.startswith("proxy =")) + "\n")
    monkeypatch.setenv("HTTPS_PROXY", edge.proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.10.0.0/16")  # production addresses: direct
    before = len(edge.proxy_log)
    run = run_gates(pytester, "--datacenters", str(plain))
    via_env = {e.target for e in edge.proxy_log[before:]}
    staging = _staging_targets(edge)
    before = len(edge.proxy_log)
    ignored = run_gates(pytester, "--datacenters", str(plain), "--no-proxy")
    after_no_proxy = {e.target for e in edge.proxy_log[before:]}
    assert run.result.ret == 0, run.output
    assert via_env == staging, "HTTPS_PROXY carries staging; NO_PROXY keeps production direct"
    assert ignored.result.ret == 0 and after_no_proxy == set()


@pytest.mark.parametrize(("args", "says"), [
    (("--proxy=http://qa:hunter2@127.0.0.1:3128",), "never write the proxy password in the URL"),
    (("--proxy=http://127.0.0.1:3128", "--no-proxy"), "--proxy and --no-proxy contradict each other"),
    (("--proxy=http://qa@127.0.0.1:3128",), "its password is not set: export CUTOVER_SANDBOX_PROXY_PASSWORD"),
])
def test_proxy_usage_errors_stop_the_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, edge: Sandbox,
                                         args: tuple[str, ...], says: str) -> None:
    monkeypatch.delenv(PROXY_PASSWORD_ENV, raising=False)
    monkeypatch.setenv(PASSWORD_ENV, edge.password)
    run = run_gates(pytester, "--datacenters", str(edge.config_path), *args, exit_codes=(pytest.ExitCode.USAGE_ERROR,))
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    assert says in run.result.stderr.str()
    assert "hunter2" not in run.output
