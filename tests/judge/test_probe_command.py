"""The probe JVM's command line and environment, as pure functions: checked without a JDK."""

from __future__ import annotations

from pathlib import Path

from cutover.config.proxy import Proxy
from cutover.judge.java import JVM_SPEED_FLAGS, PROXY_AUTH_ENV, ProbeRun, probe_command, probe_environment


def test_the_command_line_orders_flags_options_launch_stores_limits() -> None:
    stores = [("/s/first.p12", "PW1"), ("jsse:/jdk/lib/security/cacerts", "PW2")]
    cmd = probe_command(Path("/jdk/bin/java"), ["-cp", "/cache/probe", "Probe"], stores, 2.5, 8,
                        ["-Dhttps.protocols=TLSv1.2"])
    assert cmd == ["/jdk/bin/java", *JVM_SPEED_FLAGS, "-Dhttps.protocols=TLSv1.2", "-cp", "/cache/probe", "Probe",
                   "/s/first.p12", "PW1", "2500", "8", "jsse:/jdk/lib/security/cacerts", "PW2"]


def test_a_proxy_password_travels_in_the_environment_never_on_the_command_line() -> None:
    proxy = Proxy("proxy.example", 8080, "--proxy", "qa", "PROXY_PW", None, ())
    env = probe_environment({"PATH": "/bin", PROXY_AUTH_ENV: "stale", "PROXY_PW": "s3cret"}, {"EXTRA": "1"}, proxy)
    assert env["PATH"] == "/bin" and env["EXTRA"] == "1"
    assert env[PROXY_AUTH_ENV] != "stale" and env[PROXY_AUTH_ENV]
    assert PROXY_AUTH_ENV not in probe_environment({PROXY_AUTH_ENV: "stale"}, None, None)


def test_making_a_probe_run_starts_nothing() -> None:
    """The constructor only records what the JVM will judge: a java that does not exist fails in `start`."""
    run = ProbeRun(Path("/nonexistent/bin/java"), Path("/s/store.p12"), "PW", timeout=1)
    assert run.classes is None and run.archive is None and not hasattr(run, "proc")


def test_a_union_s_further_files_follow_its_first_marked_with_a_plus() -> None:
    """Probe.java merges a "+PATH" store into the one before it; a relative file named like a prefix stays a file."""
    run = ProbeRun(Path("/nonexistent/bin/java"), (Path("/s/mine.jks"), Path("/jdk/cacerts")), "PW", timeout=1,
                   more_stores=[(Path("/s/other.p12"), "OTHER"), ((Path("+odd.jks"), Path("jsse:x.jks")), "")],
                   jsse=[Path("/s/other.p12")])
    assert run._stores == [("/s/mine.jks", "PW"), ("+/jdk/cacerts", "PW"), ("jsse:/s/other.p12", "OTHER"),
                           ("./+odd.jks", ""), ("+./jsse:x.jks", "")]
    assert run.store_paths == (Path("/s/mine.jks"), Path("/s/other.p12"), Path("+odd.jks"))
    cmd = probe_command(Path("/jdk/bin/java"), ["Probe"], run._stores, 1, 2)
    assert cmd[-12:] == ["/s/mine.jks", "PW", "1000", "2", "+/jdk/cacerts", "PW", "jsse:/s/other.p12", "OTHER",
                         "./+odd.jks", "", "+./jsse:x.jks", ""]


def test_a_union_s_listing_says_which_file_holds_each_entry_and_one_file_unread_lists_nothing() -> None:
    from cutover.judge.wire import parse_result

    der = _der()
    lines = ['{"type":"jvm","version":"17","vendor":"X","home":"/jdk"}',
             '{"type":"store","store":0,"file":0,"store_type":"PKCS12","size":1}',
             f'{{"type":"entry","store":0,"file":0,"alias":"Zed","kind":"trustedCertEntry","der":"{der}"}}',
             '{"type":"store","store":0,"file":1,"store_type":"JKS","size":1}',
             f'{{"type":"entry","store":0,"file":1,"alias":"zed","kind":"trustedCertEntry","der":"{der}"}}',
             '{"type":"store","store":1,"file":0,"store_type":"JKS","size":0}',
             '{"type":"store_error","store":1,"reason":"/s/b.jks: java.io.IOException: password was incorrect"}']
    files = [(Path("/s/a.p12"), Path("/s/cacerts")), (Path("/s/c.jks"), Path("/s/b.jks"))]
    result = parse_result(Path("/jdk/bin/java"), files, lines, "", [], None, 1.0)
    assert result is not None
    union, unread = result.stores
    assert union.store is not None and union.store.file_types == ("PKCS12", "JKS")
    assert [(e.alias, e.file) for e in union.store.entries] == [("zed", Path("/s/a.p12")), ("zed", Path("/s/cacerts"))]
    assert unread.store is None and unread.store_error is not None and unread.store_error.startswith("/s/b.jks: ")


def _der() -> str:
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding

    from cutover.sandbox import pki

    return base64.b64encode(pki.make_root("Probe Test Root").cert.public_bytes(Encoding.DER)).decode()
