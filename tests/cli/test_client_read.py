"""`cutover client`'s reading of a java command line, as the launcher reads it, on strings and files only: the
@argfile syntax, where the JVM's options end, which options become java_options and which comments, no password
ever written, and the refusals of --write. The runtime itself (/proc of a real JVM) is tests/cli/test_client_pid.py.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from cutover.cli import client
from cutover.cli.client_read import (
    Option,
    ReadError,
    argfile_tokens,
    effective,
    java_properties,
    launcher_options,
    set_at_run_time,
)
from cutover.config import load

SECRET = "Tru5t-s3cret"
HEAD = """[defaults]
app = "fa"
hostname = "{pod}.{app}.{dc}.oraclecloud.com"

[datacenters.us2]
pods = ["abcd"]
"""


def no_file(path: Path) -> str:
    raise AssertionError(f"read {path}")


@pytest.mark.parametrize(("text", "tokens"), [
    ("-Da=1 -Db=2\n-Dc=3", ["-Da=1", "-Db=2", "-Dc=3"]),
    ('-Dp="a b" "-Dq=c d" -Dr=\'e f\'', ["-Dp=a b", "-Dq=c d", "-Dr=e f"]),  # quotes mid-argument too
    ("# a comment -Dno=1\n-Dyes=1 # another\n", ["-Dyes=1"]),
    ("-Dx=a#b", ["-Dx=a#b"]),  # '#' only starts a comment where an argument would start
    ("-Dwin=C:\\certs\\trust.jks", ["-Dwin=C:\\certs\\trust.jks"]),  # outside quotes a backslash is literal
    ('"-Dt=a\\tb\\"c\\\\"', ['-Dt=a\tb"c\\']),  # inside quotes it escapes
    ('-cp "lib/a.jar:\\\n    lib/b.jar"', ["-cp", "lib/a.jar:lib/b.jar"]),  # continuation skips the blanks
    ('-Dempty="" x', ["-Dempty=", "x"]),
])
def test_argfile_tokens_follow_the_launchers_rules(text: str, tokens: list[str]) -> None:
    assert argfile_tokens(text) == tokens


def test_an_unclosed_quote_is_refused() -> None:
    with pytest.raises(ReadError, match="never closed"):
        argfile_tokens('-Dx="open')


def test_argfiles_expand_before_the_main_class_only_and_not_nested(tmp_path: Path) -> None:
    (tmp_path / "opts").write_text('-Djavax.net.ssl.trustStore="my store.jks"\n-Dlater=1\n@inner\n')
    read: list[str] = []

    def reader(p: Path) -> str:
        read.append(p.name)
        return p.read_text()

    args = ["-Dfirst=1", "-cp", "@notafile", "@opts"]
    assert [(o.text, o.source) for o in launcher_options(args, reader, tmp_path, "cmd")] == [
        ("-Dfirst=1", "cmd"),
        ("-Djavax.net.ssl.trustStore=my store.jks", f"@argfile {tmp_path}/opts"),
        ("-Dlater=1", f"@argfile {tmp_path}/opts"),
    ]
    assert read == ["opts"]  # -cp's value is no argfile, and an @ inside an argfile is not expanded
    args = ["@@literal.Main", "-Dapp=1"]  # @@ is a literal @: here the main class, after which nothing is the JVM's
    assert launcher_options(args, reader, tmp_path, "cmd") == [] and read == ["opts"]
    assert launcher_options(["-Da=1", "com.acme.Main", "@opts", "-Db=1"], reader, tmp_path, "c") \
        == [Option("-Da=1", "c")]
    # --disable-@files stops expansion (the @ argument is then the main class); -jar ends the JVM's options.
    assert launcher_options(["--disable-@files", "-Da=1", "@opts", "-Db=1"], no_file, None, "c") \
        == [Option("-Da=1", "c")]
    assert launcher_options(["-Da=1", "-jar", "x.jar", "-Db=1"], no_file, None, "c") == [Option("-Da=1", "c")]


def test_a_relative_argfile_needs_the_folder_and_a_missing_one_is_named(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match=r"@opts: a relative argfile.*--working-dir"):
        launcher_options(["@opts", "Main"], no_file, None, "c")
    with pytest.raises(ReadError, match=rf"@opts: cannot read {tmp_path}/opts"):
        launcher_options(["@opts", "Main"], lambda p: p.read_text(), tmp_path, "c")


def test_the_last_option_wins_as_in_the_jvm() -> None:
    opts = [Option("-Da=1", "env"), Option("-Db=1", "cmd"), Option("-Da=2", "cmd")]
    assert effective(opts) == [Option("-Db=1", "cmd"), Option("-Da=2", "cmd")]


def pasted(tmp_path: Path) -> client.Found:
    store = tmp_path / "trust.jks"
    store.write_bytes(b"\xfe\xed\xfe\xed")
    (tmp_path / "jvm.args").write_text(f"-Djavax.net.ssl.trustStorePassword={SECRET}\n-Dhttps.protocols=TLSv1.3\n")
    line = (f"JAVA_TOOL_OPTIONS='-Dapp.mode=prod -Djdk.tls.client.protocols=TLSv1.2' /opt/jdk/bin/java -Xmx1g "
            f"-Djavax.net.ssl.trustStore=trust.jks @jvm.args -Djavax.net.ssl.keyStorePassword={SECRET} "
            "-Dhttp.proxyHost=proxy.local -Dlog.dir=/var/log com.acme.Main --password x")
    return client.from_cmdline(line, "run.sh", tmp_path)


def test_verdict_options_are_kept_others_commented_each_with_its_source(tmp_path: Path) -> None:
    text, notes = client.table("soa", pasted(tmp_path))
    doc = tomllib.loads(text)["clients"]["soa"]
    assert doc["java_home"] == "/opt/jdk"
    assert doc["working_dir"] == str(tmp_path)  # the store's path is relative
    assert doc["java_options"] == ["-Djdk.tls.client.protocols=TLSv1.2", "-Djavax.net.ssl.trustStore=trust.jks",
                                   "-Dhttps.protocols=TLSv1.3", "-Dhttp.proxyHost=proxy.local"]
    assert doc["password_env"] == "SOA_TRUSTSTORE_PASSWORD"
    assert '# "-Dapp.mode=prod"  # JAVA_TOOL_OPTIONS' in text
    assert '# "-Dlog.dir=/var/log"  # the command line in run.sh' in text
    assert f'"-Dhttps.protocols=TLSv1.3",  # @argfile {tmp_path}/jvm.args' in text
    assert "-Djavax.net.ssl.keyStorePassword=(set; value not written)" in text
    assert "--password" not in text  # the application's arguments are not the JVM's
    assert SECRET not in text + "".join(notes)
    assert "export SOA_TRUSTSTORE_PASSWORD" in notes[0]


def test_no_store_option_means_the_jdks_default_store() -> None:
    text, notes = client.table("batch", client.from_cmdline("java -Dx=1 Main", "-", None))
    doc = tomllib.loads(text)["clients"]["batch"]
    assert (doc["truststore"], doc["java_options"], "java_home" in doc, notes) == ("java:default", [], False, [])


def test_a_relative_store_without_the_folder_is_refused() -> None:
    with pytest.raises(ReadError, match=r"relative path.*--working-dir"):
        client.table("a", client.from_cmdline("java -Djavax.net.ssl.trustStore=t.jks Main", "-", None))


def test_a_line_without_java_is_refused() -> None:
    with pytest.raises(ReadError, match="no java command"):
        client.from_cmdline("python app.py", "run.sh", None)


def test_write_adds_a_table_that_loads_and_no_password(tmp_path: Path) -> None:
    toml = tmp_path / "datacenters.toml"
    toml.write_text(HEAD)
    text, _ = client.table("soa", pasted(tmp_path))
    client.write(toml, "soa", text)
    (soa,) = load(toml).clients
    assert (soa.name, soa.truststore, soa.password_env) == ("soa", tmp_path / "trust.jks", "SOA_TRUSTSTORE_PASSWORD")
    assert SECRET not in toml.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # the check's copy is gone


@pytest.mark.parametrize(("extra", "match"), [
    ('\n[clients.soa]\ntruststore = "java:default"\n', r"already has \[clients.soa\]"),
    ('\n[truststore]\npath = "trust.jks"\n', r"has a \[truststore\] table"),
    ("\n[run\n", "not valid TOML"),
])
def test_write_refuses_and_leaves_the_file_alone(tmp_path: Path, extra: str, match: str) -> None:
    toml = tmp_path / "datacenters.toml"
    toml.write_text(HEAD + extra)
    with pytest.raises(ReadError, match=match):
        client.write(toml, "soa", client.table("soa", pasted(tmp_path))[0])
    assert toml.read_text() == HEAD + extra


def test_write_refuses_a_table_the_reader_refuses(tmp_path: Path) -> None:
    """A store the option names but that is not here: loading finds it, and the file stays as it was."""
    toml = tmp_path / "datacenters.toml"
    toml.write_text(HEAD)
    found = client.from_cmdline(f"java -Djavax.net.ssl.trustStore={tmp_path}/gone.jks Main", "-", None)
    with pytest.raises(ReadError, match=rf"--write {toml}: with the new table the file would not load.*gone.jks"):
        client.write(toml, "x", client.table("x", found)[0])
    assert toml.read_text() == HEAD


def test_a_bad_name_and_a_missing_pid_are_one_paragraph(capsys: pytest.CaptureFixture[str]) -> None:
    from cutover.cli import main

    assert main(["client", "--name", "a b", "--cmdline", "-"]) == 2
    assert "--name 'a b'" in capsys.readouterr().err
    assert main(["client", "--name", "a", "--pid", "999999999"]) == 2
    err = capsys.readouterr().err
    assert "--pid 999999999: no such process here" in err and "Traceback" not in err


def fake_proc(tmp_path: Path, exe: str, argv: list[str], environ: dict[str, str]) -> Path:
    """A /proc/<pid> as Linux shows a process: exe and cwd links, NUL-separated cmdline and environ."""
    here = tmp_path / "proc" / "4711"
    here.mkdir(parents=True)
    (here / "exe").symlink_to(exe)
    (here / "cwd").symlink_to(tmp_path)
    (here / "cmdline").write_bytes(b"".join(a.encode() + b"\0" for a in argv))
    (here / "environ").write_bytes(b"".join(f"{k}={v}".encode() + b"\0" for k, v in environ.items()))
    return tmp_path / "proc"


def test_pid_reads_the_variables_in_the_jvms_order_and_the_last_wins(tmp_path: Path) -> None:
    (tmp_path / "env.args").write_text("-Dhttps.protocols=TLSv1.2 -Dfrom.argfile=1")
    environ = {"JAVA_TOOL_OPTIONS": "-Dhttps.protocols=TLSv1 -Djdk.tls.namedGroups=x25519 #not-a-comment",
               "JDK_JAVA_OPTIONS": "'-Dapp.title=a b' @env.args", "_JAVA_OPTIONS": "-Djdk.tls.namedGroups=secp256r1",
               "HOME": "/root"}
    proc = fake_proc(tmp_path, "/opt/jdk/bin/java", ["java", "-Dhttps.protocols=TLSv1.3", "Main"], environ)
    found = client.from_pid(4711, proc)
    assert (found.java_home, found.working_dir) == (Path("/opt/jdk"), tmp_path)
    assert [(o.text, o.source.split(" (")[0]) for o in effective(found.options)] == [
        ("-Dapp.title=a b", "JDK_JAVA_OPTIONS"),
        ("-Dfrom.argfile=1", f"@argfile {tmp_path}/env.args"),
        ("-Dhttps.protocols=TLSv1.3", "command line of PID 4711"),  # the command line beats the variables before it
        ("-Djdk.tls.namedGroups=secp256r1", "_JAVA_OPTIONS"),  # and _JAVA_OPTIONS beats everything
    ]


def test_pid_refuses_what_is_no_java_launcher_and_a_broken_variable_without_its_value(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match=r"--pid 4711 runs /usr/sbin/jsvc, not a java launcher.*--cmdline"):
        client.from_pid(4711, fake_proc(tmp_path / "a", "/usr/sbin/jsvc", ["jsvc"], {}))
    environ = {"JAVA_TOOL_OPTIONS": f'-Djavax.net.ssl.trustStorePassword="{SECRET}'}
    with pytest.raises(ReadError, match="JAVA_TOOL_OPTIONS in the environment of PID 4711") as caught:
        client.from_pid(4711, fake_proc(tmp_path / "b", "/opt/jdk/bin/java", ["java", "Main"], environ))
    assert SECRET not in str(caught.value) and "trustStorePassword" in str(caught.value)


def test_run_time_properties_add_only_the_verdict_ones_the_options_do_not_say() -> None:
    props = java_properties("#Mon Dec 07 09:00:00 UTC 2026\njava.home=/opt/jdk\nx.y=a\\=b\\:c\\\\d\\u00e9\n"
                            "https.protocols=TLSv1.3\njavax.net.ssl.trustStore=/srv/in-code.jks\n"
                            "jdk.tls.client.cipherSuites=TLS_AES_128_GCM_SHA256\njdk.debug=release\n")
    assert props["x.y"] == "a=b:c\\dé" and props["java.home"] == "/opt/jdk"
    given = [Option("-Dhttps.protocols=TLSv1.3", "cmd"), Option("-Djavax.net.ssl.trustStore=/srv/cmd.jks", "cmd")]
    assert set_at_run_time(props, given, "jcmd") == [
        Option("-Djavax.net.ssl.trustStore=/srv/in-code.jks", "jcmd"),  # changed by the program: it wins
        Option("-Djdk.tls.client.cipherSuites=TLS_AES_128_GCM_SHA256", "jcmd"),
    ]


def test_a_jdk_without_jcmd_is_said_in_the_table(tmp_path: Path) -> None:
    found = client.Found("PID 4711", tmp_path / "jre", (), tmp_path)
    text, _ = client.table("a", client.with_run_time_properties(found, 4711))
    assert f"# properties the program sets at run time were not read ({tmp_path}/jre/bin/jcmd is not there" in text


def test_relative_path_options_are_resolved_from_the_jvms_folder_or_refused() -> None:
    """The judge's JVM starts elsewhere, and Java skips a java.security.properties it cannot find without a word:
    every path-valued verdict option is written absolute (the trust store keeps working_dir, which config reads)."""
    options = (Option("-Djava.security.properties==sec/tls.props", "cmd"), Option("-Djavax.net.ssl.keyStore=NONE", "c"),
               Option("-Djava.security.policy=file:app.policy", "cmd"), Option("-Djavax.net.ssl.keyStore=id.p12", "c"),
               Option("-Djava.security.krb5.conf=/etc/krb5.conf", "cmd"), Option("-Dapp.file=rel.txt", "cmd"))
    text, _ = client.table("a", client.Found("x", Path("/opt/jdk"), options, Path("/srv/app")))
    assert '"-Djava.security.properties==/srv/app/sec/tls.props",  # cmd; sec/tls.props from the JVM\'s' in text
    assert '"-Djavax.net.ssl.keyStore=/srv/app/id.p12",' in text  # the later one wins, resolved
    assert '"-Djava.security.policy=file:app.policy",' in text  # a URL is the JVM's to resolve, not a path
    assert '"-Djava.security.krb5.conf=/etc/krb5.conf",' in text and '# "-Dapp.file=rel.txt"' in text
    with pytest.raises(ReadError, match=r"-Djava\.security\.properties==sec/tls\.props \(cmd\) is a relative path.*"
                                        "--working-dir DIR"):
        client.table("a", client.Found("x", None, options[:1], None))


def test_a_process_in_a_container_is_read_through_its_root(tmp_path: Path) -> None:
    """/proc/PID/root is another / than ours: the JDK, the @argfiles, the working folder and the store an option
    names are the container's files, reached through that link (which the table says)."""
    rootfs = tmp_path / "rootfs"
    (rootfs / "app" / "conf").mkdir(parents=True)
    (rootfs / "app" / "conf" / "jvm.args").write_text("-Djavax.net.ssl.trustStore=/app/conf/trust.p12\n"
                                                      "-Djava.security.properties=tls.props\n")
    (rootfs / "app" / "rel.args").write_text("-Dhttps.protocols=TLSv1.3\n")
    proc = fake_proc(tmp_path, "/opt/jdk/bin/java", ["java", "@/app/conf/jvm.args", "@rel.args", "Main"], {})
    here = proc / "4711"
    (here / "cwd").unlink()
    (here / "cwd").symlink_to("/app")  # a path in the container, as Linux shows it
    (here / "root").symlink_to(rootfs)
    found = client.from_pid(4711, proc)
    assert (found.java_home, found.working_dir, found.root) == (here / "root/opt/jdk", here / "root/app", here / "root")
    assert [o.text for o in found.options] == [f"-Djavax.net.ssl.trustStore={here}/root/app/conf/trust.p12",
                                               "-Djava.security.properties=tls.props", "-Dhttps.protocols=TLSv1.3"]
    assert found.options[0].source == "@argfile /app/conf/jvm.args; /app/conf/trust.p12 in its container"
    text, _ = client.table("boxed", found)
    assert f"# PID 4711 runs in a container (its / is not this machine's): its JDK, files and working folder are " \
           f"read through {here}/root" in text
    assert f'"-Djava.security.properties={here}/root/app/tls.props",' in text
    ours = fake_proc(tmp_path / "host", "/opt/jdk/bin/java", ["java", "Main"], {})
    (ours / "4711" / "root").symlink_to("/")
    assert client.from_pid(4711, ours).root is None  # the same / as ours: no container
