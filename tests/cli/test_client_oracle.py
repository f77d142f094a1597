"""Issue 36's done-when for `cutover client`: for every JDK installed here, real JVMs of the plain HttpsURLConnection
client (tests/judge/Client.java, kept alive so that it can be read) reach the sandbox's staging address, each started
another way a client's trust is set: a store by -Djavax.net.ssl.trustStore with its password and without, a
jssecacerts in (a copy of) the JDK, one shadowing the cacerts that holds the root, HTTPS options the edge refuses,
JAVA_TOOL_OPTIONS, an @argfile, a relative java.security.properties. Each JVM is read with --pid and from its start
line (--cmdline), and some from a Tanuki wrapper.conf (set., %X%, #include, wrapper.working.dir) or a .vmoptions file
(-include-options) written for the same start. Every table goes into one datacenters file, one gate run judges them
all, and each client's chain_trusted must be what its own JVM got. The JVMs are always killed.

make test keeps one JDK's two clients (one trusted, one refused); the whole matrix is the slow tier.
"""

from __future__ import annotations

import contextlib
import io
import shlex
import shutil
import subprocess
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from cutover.cli import main as cutover
from cutover.cli.client import password_env
from cutover.judge.java import JVM_SPEED_FLAGS
from cutover.sandbox import Sandbox, jdk, pki
from cutover.sandbox.scenarios.client import RSA_SUITE
from tests.conftest import run_gates
from tests.plugin.test_clients import clients_toml

pytestmark = pytest.mark.e2e

DC, POD = "us2", "acme"
JDKS = {"jdk17": Path("/usr/lib/jvm/java-17-openjdk-amd64"), "jdk25": Path("/usr/lib/jvm/temurin-25-jdk-amd64")}
CLIENT = Path(__file__).resolve().parent.parent / "judge" / "Client.java"
STORE, PASSWORD = "-Djavax.net.ssl.trustStore={dir}/trust.p12", "-Djavax.net.ssl.trustStorePassword={pw}"
#: The sandbox's edge has P-256 keys: with this override its JVM completes no handshake, whatever its store holds.
NO_P256 = "jdk.certpath.disabledAlgorithms=MD2, MD5, EC keySize < 384\n"


@dataclass(frozen=True)
class Start:
    """One client JVM as its start script runs it, and the files that describe that start.

    Attributes:
        name: the case, in the client's name.
        trusted: what its JVM must get (a check of the case itself, so that the test cannot pass on JVMs that all
            failed for a reason of its own).
        jdk: ``installed``, or a copy whose lib/security has a ``jssecacerts`` holding the provider's root, or
            ``shadowed`` (cacerts holds it, a jssecacerts beside it does not: JSSE reads jssecacerts alone).
        options: -D options on its command line ({dir}: its folder, {pw}: the store's password).
        argfile: lines of its ``@jvm.args``, given after the options.
        tool_options: its JAVA_TOOL_OPTIONS.
        readers: how the test reads it: ``pid``, ``cmdline``, ``wrapper``, ``vmoptions``.
    """

    name: str
    trusted: bool
    jdk: str = "installed"
    options: tuple[str, ...] = ()
    argfile: tuple[str, ...] = ()
    tool_options: str = ""
    readers: tuple[str, ...] = ("pid", "cmdline")

    def argv(self, folder: Path, pw: str) -> list[str]:
        """Its -D options in the order the JVM applies them (JAVA_TOOL_OPTIONS, command line, @argfile), unquoted."""
        words = [*self.tool_options.split(), *self.options, *(a.strip('"') for a in self.argfile)]
        return [w.format(dir=folder, pw=pw) for w in words]


CASES = (
    Start("opt-pw", True, options=(STORE, PASSWORD), readers=("pid", "cmdline", "wrapper")),
    # keytool's PKCS12 encrypts its certificates: opened with no password, the store holds no anchor
    Start("opt-nopw", False, options=("-Djavax.net.ssl.trustStore=trust.p12",),
          readers=("pid", "cmdline", "vmoptions")),
    Start("jssecacerts", True, jdk="jssecacerts", readers=("pid", "cmdline", "wrapper")),
    Start("shadowed", False, jdk="shadowed"),
    Start("https-refused", False, readers=("pid", "cmdline", "vmoptions"),
          options=(STORE, PASSWORD, "-Dhttps.protocols=TLSv1.2", f"-Dhttps.cipherSuites={RSA_SUITE}")),
    Start("tool-options", True, tool_options=f"{STORE} {PASSWORD}", readers=("pid", "cmdline", "wrapper")),
    Start("argfile", True, argfile=("-Djavax.net.ssl.trustStore=trust.p12", f'"{PASSWORD}"'),
          readers=("pid", "cmdline", "vmoptions")),
    Start("security-props", False, options=("-Djava.security.properties=tls.props",),
          argfile=("-Djavax.net.ssl.trustStore=trust.p12", f'"{PASSWORD}"'), readers=("pid", "cmdline", "wrapper")),
)
BY_NAME = {c.name: c for c in CASES}
#: make test's JDK: temurin 25 where it is installed (not the default one), else 17 (.ci/run installs only that).
NEWEST = "jdk25" if (JDKS["jdk25"] / "bin" / "java").is_file() else "jdk17"
#: make test's two, on that JDK as installed (a JDK copy's own javac would compile the judge's probe once more:
#: 4 CPU-s): a store given by JAVA_TOOL_OPTIONS (/proc, a wrapper.conf's set.) that it trusts, and HTTPS options the
#: edge refuses (/proc, a .vmoptions file).
FAST = (replace(BY_NAME["tool-options"], readers=("pid", "wrapper")),
        replace(BY_NAME["https-refused"], readers=("pid", "vmoptions")))


@pytest.fixture(scope="module")
def classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Client.class, compiled once (``--release 17``, which both JDKs run): each JVM then starts without compiling."""
    javac = next((home / "bin" / "javac" for home in JDKS.values() if (home / "bin" / "javac").is_file()), None)
    if javac is None:
        pytest.skip(f"no JDK of {', '.join(map(str, JDKS.values()))} is installed here")
    out = tmp_path_factory.mktemp("client-classes")
    speed = [f"-J{flag}" for flag in JVM_SPEED_FLAGS]  # javac's own JVM: 1.8 -> 0.9 CPU-s
    subprocess.run([str(javac), *speed, "--release", "17", "-d", str(out), str(CLIENT)], check=True,
                   capture_output=True, timeout=120)
    return out


def keytool_import(home: Path, store: Path, alias: str, pem: bytes) -> None:
    """One certificate into a JKS store, as an administrator's keytool does (a JKS is read with no password)."""
    pem_file = store.with_name(f"{alias}.pem")
    pem_file.write_bytes(pem)
    subprocess.run([str(home / "bin" / "keytool"), "-J-XX:TieredStopAtLevel=1", "-importcert", "-noprompt",
                    "-trustcacerts", "-storetype", "JKS", "-alias", alias, "-file", str(pem_file), "-keystore",
                    str(store), "-storepass:env", "PW"], env={"PW": jdk.STORE_PASSWORD, "PATH": "/usr/bin:/bin"},
                   check=True, capture_output=True, timeout=60)
    pem_file.unlink()


def java_home(kind: str, installed: Path, work: Path, root_pem: bytes) -> Path:
    """The JDK a case runs: the installed one, or a copy (never the JDK itself) with its own lib/security stores."""
    if kind == "installed":
        return installed
    home = jdk.copy(work / kind, installed)
    security = home / "lib" / "security"
    if kind == "jssecacerts":
        keytool_import(home, security / "jssecacerts", "provider-root", root_pem)
    else:
        (security / "cacerts").unlink()  # a symlink to the system's store in a Debian JDK: replaced, not written
        keytool_import(home, security / "cacerts", "provider-root", root_pem)
        keytool_import(home, security / "jssecacerts", "someone-elses-root",
                       pki.make_root("Someone Else's Root CA", org="Somebody Else").pem)
    return home


@contextlib.contextmanager
def client_jvms(starts: Sequence[tuple[Start, Path, list[str], str]]) -> Iterator[dict[str, tuple[int, str]]]:
    """Start every JVM at once (their start-ups overlap), then wait for each one's verdict: name -> (PID, verdict).
    Every one is killed on the way out, however the test ends."""
    procs: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    try:
        for start, folder, argv, tool_options in starts:
            out = folder / "jvm.out"
            with out.open("w") as sink:
                procs[start.name] = (subprocess.Popen(argv, cwd=folder, stdout=sink, stderr=subprocess.STDOUT,
                                                      env={"PATH": "/usr/bin:/bin", "JAVA_TOOL_OPTIONS": tool_options}),
                                     out)
        got: dict[str, tuple[int, str]] = {}
        deadline = time.monotonic() + 120
        for name, (proc, out) in procs.items():
            while not any(w in out.read_text() for w in ("TRUSTED", "FAILED")):
                assert proc.poll() is None, f"{name}: the client JVM ended with {proc.returncode}: {out.read_text()}"
                assert time.monotonic() < deadline, f"{name}: no verdict within 120 s: {out.read_text()}"
                time.sleep(0.1)
            got[name] = (proc.pid, next(ln for ln in out.read_text().splitlines() if ln.startswith(("TRUSTED", "FA"))))
        yield got
    finally:
        for proc, _ in procs.values():
            proc.kill()
            proc.wait(timeout=30)


def wrapper_files(folder: Path, start: Start, home: Path, pw: str) -> tuple[Path, Path]:
    """A Tanuki layout for the same start: (conf/wrapper.conf, bin/, the wrapper's own folder). The JDK and a part's
    folder by set./%X%, the options in a file #included by a relative path with a variable (found from bin/, as the
    wrapper does), the JVM's folder by a relative wrapper.working.dir, a quoted option with .stripquotes."""
    (folder / "wrapper" / "bin").mkdir(parents=True)
    (folder / "wrapper" / "conf" / "parts").mkdir(parents=True)
    conf = folder / "wrapper" / "conf" / "wrapper.conf"
    conf.write_text(f"#encoding=UTF-8\nset.default.CLIENT_JDK=/nonexistent/jdk\nset.CLIENT_JDK={home}\n"
                    "wrapper.java.command=%CLIENT_JDK%/bin/java\nwrapper.working.dir=../..\n"
                    "wrapper.java.mainclass=org.tanukisoftware.wrapper.WrapperSimpleApp\nwrapper.app.parameter.1=Client\n"
                    "set.PARTS=parts\n#include ../conf/%PARTS%/options.conf\n")
    lines = [f"set.JAVA_TOOL_OPTIONS={start.tool_options.format(dir=folder, pw=pw)}"] if start.tool_options else []
    lines.append("wrapper.java.additional.1=-Djdk.net.hosts.file=hosts")
    for n, option in enumerate([*start.options, *(a.strip('"') for a in start.argfile)], 2):
        lines += [f'wrapper.java.additional.{n}="{option.format(dir=folder, pw=pw)}"',
                  f"wrapper.java.additional.{n}.stripquotes=TRUE"]
    (folder / "wrapper" / "conf" / "parts" / "options.conf").write_text("\n".join(lines) + "\n")
    return conf, folder / "wrapper" / "bin"


def vmoptions_file(folder: Path, start: Start, pw: str) -> Path:
    """An install4j / JetBrains .vmoptions for the same start: half its options, then -include-options the rest."""
    options = ["-Djdk.net.hosts.file=hosts", *start.argv(folder, pw)]
    (folder / "common").mkdir()
    (folder / "common" / "tls.vmoptions").write_text("# shared\n" + "\n".join(options[1:]) + "\n")
    top = folder / "client.vmoptions"
    top.write_text(f"-Xmx256m\n{options[0]}\n-include-options common/tls.vmoptions\n")
    return top


def read(*args: str) -> tuple[str, str]:
    """`cutover client ...` through its CLI entry point, in this process (a child Python per table would cost
    more than the JVMs): its standard output (the table, without --write) and its notes."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cutover(["client", *args])
    assert code == 0, err.getvalue()
    return out.getvalue(), err.getvalue()


def judge(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, jdk_name: str,
          cases: Sequence[Start], classes: Path) -> None:
    installed = JDKS[jdk_name]
    if not (installed / "bin" / "java").is_file():
        pytest.skip(f"{installed} is not installed here (.ci/run installs openjdk-17 only)")
    with Sandbox("good", pods_per_dc=1, datacenters=(DC,)) as sb:
        host, pw = sb.hostname(DC, POD), sb.password
        port = sb.config_path.read_text().split("\nport = ", 1)[1].split("\n", 1)[0]
        toml = tmp_path / "datacenters.toml"
        toml.write_text(clients_toml(sb, "").replace('path = "certs/', f'path = "{sb.workdir}/certs/')
                        .replace('bundle = "certs/', f'bundle = "{sb.workdir}/certs/'))
        with zipfile.ZipFile(sb.workdir / "certs" / f"{DC}.zip") as z:
            root_pem = z.read("SandboxRootCAG2.crt.pem")
        starts = []
        for case in cases:
            folder = tmp_path / case.name
            folder.mkdir()
            shutil.copy(sb.truststore_path, folder / "trust.p12")
            (folder / "hosts").write_text(f"{sb.staging_ips[0]} {host}\n")
            (folder / "tls.props").write_text(NO_P256)
            if case.argfile:
                (folder / "jvm.args").write_text("".join(f"{a.format(dir=folder, pw=pw)}\n" for a in case.argfile))
            home = java_home(case.jdk, installed, tmp_path / "jdks", root_pem)
            argv = [str(home / "bin" / "java"), *JVM_SPEED_FLAGS, "-cp", str(classes), "-Djdk.net.hosts.file=hosts",
                    *(o.format(dir=folder, pw=pw) for o in case.options), *(["@jvm.args"] if case.argfile else []),
                    "Client", f"https://{host}:{port}/", "120"]
            starts.append((case, folder, argv, case.tool_options.format(dir=folder, pw=pw)))
        names: dict[str, Start] = {}  # client name -> its case
        with client_jvms(starts) as real:
            said = ""
            for case, folder, argv, tool_options in starts:
                name = f"{jdk_name}-{case.name}"
                names.update({f"{name}-{r}": case for r in case.readers})
                if "pid" in case.readers:
                    said += "".join(read("--name", f"{name}-pid", "--pid", str(real[case.name][0]), "--write",
                                         str(toml)))
                if "cmdline" in case.readers:
                    line = folder / "start.sh"
                    line.write_text(f"JAVA_TOOL_OPTIONS={shlex.quote(tool_options)} {shlex.join(argv)}\n")
                    said += "".join(read("--name", f"{name}-cmdline", "--cmdline", str(line), "--working-dir",
                                         str(folder), "--write", str(toml)))
                if "wrapper" in case.readers:
                    conf, wrapper_dir = wrapper_files(folder, case, Path(argv[0]).parent.parent, pw)
                    said += "".join(read("--name", f"{name}-wrapper", "--cmdline", str(conf), "--working-dir",
                                         str(wrapper_dir), "--write", str(toml)))
                if "vmoptions" in case.readers:
                    # A launcher's file names no JDK: the table says so, and the person sets it (here, as told).
                    top = vmoptions_file(folder, case, pw)
                    table, notes = read("--name", f"{name}-vmoptions", "--cmdline", str(top), "--working-dir",
                                        str(folder))
                    said += table + notes
                    todo = "# java_home: the command line runs `java` from PATH; set the client's JDK here"
                    assert todo in table
                    home = argv[0].removesuffix("/bin/java")
                    toml.write_text(toml.read_text() + "\n" + table.replace(todo, f'java_home = "{home}"'))
        assert pw not in said + toml.read_text()
        for name in names:
            monkeypatch.setenv(password_env(name), pw)
        run = run_gates(pytester, "--datacenters", str(toml), "--pod", f"{DC}/{POD}", timeout=600)
    assert pw not in run.output
    verdicts = {c.name: real[c.name][1] for c in cases}
    wrong = [f"{c.name}: its JVM got {verdicts[c.name]!r}, the case expects {'TRUSTED' if c.trusted else 'FAILED'}"
             for c in cases if verdicts[c.name].startswith("TRUSTED") != c.trusted]
    assert not wrong, "\n".join(wrong)  # the cases are what they say, both ways
    suite = {n: run.outcomes.get(("chain_trusted", f"{n}:{DC}/{POD}")) for n in names}
    differ = [f"{n}: chain_trusted {suite[n]}, its JVM {verdicts[c.name]}" for n, c in names.items()
              if suite[n] != ("passed" if verdicts[c.name].startswith("TRUSTED") else "failed")]
    assert not differ, "\n".join(differ) + f"\n{toml.read_text()}\n{run.output[-4000:]}"


@pytest.mark.parametrize(("jdk_name", "cases"), [
    pytest.param(NEWEST, FAST, id="newest-jdk-tool-options-and-refused-https"),
    pytest.param("jdk17", CASES, id="jdk17-all", marks=pytest.mark.slow),
    pytest.param("jdk25", CASES, id="jdk25-all", marks=pytest.mark.slow),
])
def test_the_gates_judge_each_read_table_as_its_jvm_fares(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path, classes: Path, jdk_name: str,
                                                          cases: Sequence[Start]) -> None:
    judge(pytester, monkeypatch, tmp_path, jdk_name, cases, classes)
