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
