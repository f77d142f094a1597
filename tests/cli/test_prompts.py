"""Password prompts as people expect them: on a real (pseudo-)terminal the gates and `cutover truststore` ask,
without echo, and go on; Ctrl-C or Ctrl-D ends with one line and a usage exit code; CI (no terminal) is told
which variable to export; every store-password message names the variable."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from cutover.sandbox import PASSWORD_ENV, Sandbox
from tests.conftest import CHECKS

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast

PROMPT = b"is not set"  # both prompts say which variable is missing


def on_terminal(argv: Sequence[str], cwd: Path, typed: bytes, timeout: float = 120) -> tuple[int, str]:
    """Run `argv` with a pseudo-terminal as its controlling terminal (stdin, stdout, /dev/tty), as a person's shell
    does; once the password prompt shows, type `typed` (b"\\x03" is Ctrl-C, b"\\x04" Ctrl-D). Returns the exit
    code and everything the terminal showed."""
    env = {k: v for k, v in os.environ.items() if k not in (PASSWORD_ENV, "CUTOVER_TRUSTSTORE_PASSWORD", "CI")}
    pid, fd = pty.fork()
    if pid == 0:  # the child: a session of its own with the pty as its terminal
        os.chdir(cwd)
        os.execve(argv[0], list(argv), env)
    shown, sent, deadline = b"", False, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
            if not sent and PROMPT in shown:
                time.sleep(0.3)  # getpass turns echo off after writing the prompt
                os.write(fd, typed)
                sent = True
        else:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"{argv} did not end within {timeout}s:\n{shown.decode(errors='replace')}")
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace").replace("\r\n", "\n")


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox("good", workdir=tmp_path_factory.mktemp("prompt-edge"), pods_per_dc=1, datacenters=("us2",)) as sb:
        yield sb


def gates(sb: Sandbox) -> list[str]:
    return [sys.executable, "-m", "pytest", str(CHECKS), "-q", "-p", "no:cacheprovider", "--no-reports",
            "--no-history", f"--datacenters={sb.config_path}"]


def test_the_gates_ask_for_the_password_on_a_terminal_and_go_on(edge: Sandbox, tmp_path: Path) -> None:
    rc, shown = on_terminal(gates(edge), tmp_path, f"{edge.password}\n".encode())
    assert f"Password of truststore {edge.truststore_path} ({PASSWORD_ENV} is not set):" in shown
    assert edge.password not in shown, "typed without echo"
    assert rc == 0 and "5 passed" in shown, shown


@pytest.mark.parametrize(("key", "said"), [(b"\x03", "Ctrl-C"), (b"\x04", "Ctrl-D")])
def test_ending_the_gates_prompt_is_one_line_and_exit_4(edge: Sandbox, tmp_path: Path, key: bytes,
                                                        said: str) -> None:
    rc, shown = on_terminal(gates(edge), tmp_path, key)
    assert rc == 4, shown
    assert "Traceback" not in shown and "KeyboardInterrupt" not in shown and "EOFError" not in shown
    [error] = [line for line in shown.splitlines() if "ERROR" in line]
    assert f"no password was typed ({said} at the prompt)" in error and f"export {PASSWORD_ENV}" in error


def test_without_a_terminal_the_gates_never_ask(edge: Sandbox, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    done = subprocess.run(gates(edge), cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 4, done.stdout + done.stderr
    assert f"export {PASSWORD_ENV} with the password of {edge.truststore_path}" in done.stdout + done.stderr


def test_a_wrong_password_names_the_variable(edge: Sandbox, tmp_path: Path) -> None:
    env = {**os.environ, PASSWORD_ENV: "not-the-password"}
    done = subprocess.run(gates(edge), cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 4
    assert f"password is wrong (keystore password was incorrect). Set {PASSWORD_ENV} (the variable [truststore] " \
           "password_env names)" in done.stdout + done.stderr
    assert "not-the-password" not in done.stdout + done.stderr


@pytest.mark.parametrize(("key", "said"), [(b"\x03", "Ctrl-C"), (b"\x04", "Ctrl-D")])
def test_ending_the_truststore_prompt_is_one_line_and_exit_2(edge: Sandbox, tmp_path: Path, key: bytes,
                                                             said: str) -> None:
    rc, shown = on_terminal([sys.executable, "-m", "cutover", "truststore", str(edge.truststore_path)], tmp_path, key)
    assert rc == 2, shown
    assert "Traceback" not in shown
    [line] = [line for line in shown.splitlines() if line.startswith("cutover:")]
    assert f"no password was typed ({said} at the prompt)" in line and "export CUTOVER_TRUSTSTORE_PASSWORD" in line


def test_the_truststore_command_asks_and_lists(edge: Sandbox, tmp_path: Path) -> None:
    rc, shown = on_terminal([sys.executable, "-m", "cutover", "truststore", str(edge.truststore_path)], tmp_path,
                            f"{edge.password}\n".encode())
    assert rc == 0 and "entries as Java lists them" in shown and edge.password not in shown, shown
