"""`cutover client --cmdline FILE` on the files native launchers read: install4j / JetBrains ``.vmoptions`` and
the Tanuki wrapper's ``wrapper.conf``, each written to tmp_path; the options, their order, where each was read
(file:line), includes and their cycles, and no password written."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover.cli import client
from cutover.cli.client_files import file_kind, strip_quotes, vmoptions, wrapper_conf
from cutover.cli.client_read import ReadError

SECRET = "Tru5t-s3cret"


def read(path: Path) -> str:
    return path.read_text()


def test_vmoptions_one_option_a_line_comments_blank_lines_and_includes(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "extra.vmoptions").write_text("# extra\n-Dhttps.protocols=TLSv1.3\n")
    top = tmp_path / "app.vmoptions"
    top.write_text("# comment\n\n-Xmx512m\n-Djavax.net.ssl.trustStore=/opt/a b.jks\n"
                   "-include-options conf/extra.vmoptions\n-Dlast=1\n")
    got = vmoptions(top, read)
    assert [o.text for o in got] == ["-Djavax.net.ssl.trustStore=/opt/a b.jks", "-Dhttps.protocols=TLSv1.3",
                                     "-Dlast=1"]
    assert [o.source for o in got] == [f"{top}:4", f"{tmp_path / 'conf' / 'extra.vmoptions'}:2", f"{top}:6"]


def test_vmoptions_include_cycle_depth_and_missing_file_are_one_paragraph(tmp_path: Path) -> None:
    (tmp_path / "a.vmoptions").write_text("-include-options b.vmoptions\n")
    (tmp_path / "b.vmoptions").write_text("-Dx=1\n-include-options a.vmoptions\n")
    with pytest.raises(ReadError, match=r"b\.vmoptions:2.*includes itself"):
        vmoptions(tmp_path / "a.vmoptions", read)
    for i in range(12):
        (tmp_path / f"d{i}.vmoptions").write_text(f"-include-options d{i + 1}.vmoptions\n")
    with pytest.raises(ReadError, match="deeper than"):
        vmoptions(tmp_path / "d0.vmoptions", read)
    (tmp_path / "m.vmoptions").write_text("\n-include-options gone.vmoptions\n")
    with pytest.raises(ReadError, match=r"m\.vmoptions:2.*cannot read .*gone\.vmoptions"):
        vmoptions(tmp_path / "m.vmoptions", read)


WRAPPER = """# Tanuki
set.CONF=/etc/app
set.default.CONF=/ignored
set.default.JAVA_HOME=/ignored-too
wrapper.java.command=%JAVA_HOME%/bin/java
wrapper.java.additional.10=-Dhttps.protocols=TLSv1.3
wrapper.java.additional.2="-Djavax.net.ssl.trustStore=%CONF%/trust.jks"
wrapper.java.additional.2.stripquotes=TRUE
wrapper.java.additional.3=-Dkept=%UNDEFINED%
wrapper.java.additional.4=-Xmx1g
#include extra.conf
#include optional-missing.conf
"""


def test_wrapper_conf_orders_by_number_strips_quotes_expands_and_includes(tmp_path: Path) -> None:
    (tmp_path / "extra.conf").write_text(f"wrapper.java.additional.5=-Djavax.net.ssl.trustStorePassword={SECRET}\n")
    conf = tmp_path / "wrapper.conf"
    conf.write_text(WRAPPER)
    wrapper = wrapper_conf(conf, read, {"JAVA_HOME": "/opt/jdk17"})
    got = wrapper.options
    assert wrapper.java == "/opt/jdk17/bin/java"
    assert [o.text for o in got] == ["-Djavax.net.ssl.trustStore=/etc/app/trust.jks", "-Dkept=%UNDEFINED%",
                                     f"-Djavax.net.ssl.trustStorePassword={SECRET}", "-Dhttps.protocols=TLSv1.3"]
    assert got[0].source == f"{conf}:7 (wrapper.java.additional.2)"
    assert got[2].source.startswith(f"{tmp_path / 'extra.conf'}:1")


def test_wrapper_conf_password_is_never_written(tmp_path: Path) -> None:
    (tmp_path / "extra.conf").write_text(f"wrapper.java.additional.5=-Djavax.net.ssl.trustStorePassword={SECRET}\n"
                                         f"wrapper.java.additional.6=-Dapp.db.password={SECRET}\n")
    conf = tmp_path / "wrapper.conf"
    conf.write_text(WRAPPER)
    found = client.from_file(conf, conf.read_text(), None, {"JAVA_HOME": "/opt/jdk17"})
    text, notes = client.table("svc", found)
    assert SECRET not in text + "".join(notes)
    assert 'java_home = "/opt/jdk17"' in text and "trust.jks" in text and "extra.conf:2" in text


def test_wrapper_conf_required_include_missing_and_a_cycle_name_file_and_line(tmp_path: Path) -> None:
    conf = tmp_path / "wrapper.conf"
    conf.write_text("wrapper.java.additional.1=-Da=1\n#include.required gone.conf\n")
    with pytest.raises(ReadError, match=r"wrapper\.conf:2: cannot read .*gone\.conf"):
        wrapper_conf(conf, read, {})
    conf.write_text("#include other.conf\n")
    (tmp_path / "other.conf").write_text("# x\n#include wrapper.conf\n")
    with pytest.raises(ReadError, match=r"other\.conf:2.*includes itself"):
        wrapper_conf(conf, read, {})


@pytest.mark.parametrize(("name", "text", "kind"), [
    ("idea64.vmoptions", "java -Da=1\n", "vmoptions"),
    ("wrapper.conf", "", "wrapper"),
    ("svc.conf", "wrapper.java.command=java\n", "wrapper"),
    ("opts.txt", "# x\n-Xmx1g\n-Da=1\n", "vmoptions"),
    ("start.sh", "JAVA_TOOL_OPTIONS=-Da=1 java -Db=2 Main\n", "cmdline"),
    ("app.conf", "-Da=1 is not wrapper\nx=1\n", "cmdline"),
    # a site's file whose wrapper keys are all in its includes: the wrapper's own lines tell it
    ("site.conf", "#encoding=UTF-8\n#include %WRAPPER_CONF_DIR%/wrapper-base.conf\n", "wrapper"),
    ("env.conf", "set.APP_HOME=/opt/app\n", "wrapper"),
    ("start.txt", "set.APP_HOME=/opt/app\n", "cmdline"),  # only a .conf is taken for one
])
def test_the_kind_is_told_by_name_then_content(name: str, text: str, kind: str) -> None:
    assert file_kind(Path(name), text) == kind


def test_a_vmoptions_file_gives_a_table_without_java_home(tmp_path: Path) -> None:
    top = tmp_path / "app.vmoptions"
    top.write_text("-Djavax.net.ssl.trustStore=/opt/t.jks\n-Dother=1\n")
    found = client.from_file(top, top.read_text(), None, {})
    text, _ = client.table("app", found)
    assert f'"-Djavax.net.ssl.trustStore=/opt/t.jks",  # {top}:1' in text
    assert f'# "-Dother=1"  # {top}:2' in text and "# java_home:" in text


def test_through_the_cli_a_missing_include_is_one_paragraph_and_a_password_is_not_printed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cutover.cli import main

    conf = tmp_path / "wrapper.conf"
    conf.write_text(f"wrapper.java.additional.1=-Djavax.net.ssl.keyStorePassword={SECRET}\n")
    assert main(["client", "--name", "svc", "--cmdline", str(conf)]) == 0
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err and f"{conf}:1" in out.out
    top = tmp_path / "app.vmoptions"
    top.write_text("-include-options gone.vmoptions\n")
    assert main(["client", "--name", "app", "--cmdline", str(top)]) == 2
    err = capsys.readouterr().err
    assert f"{top}:1" in err and "gone.vmoptions" in err and "Traceback" not in err


def test_stripquotes_removes_every_unescaped_quote_and_unescapes_the_escaped_ones(tmp_path: Path) -> None:
    """The wrapper's docs (wrapper.java.additional.<n>.stripquotes, wrapper.app.parameter.<n>, Linux): every '"'
    is removed wherever it stands, '\\"' becomes '"', '\\\\' becomes '\\', any other character stays."""
    assert strip_quotes('-Djavax.net.ssl.trustStore="/opt/my app/trust.jks"') == \
        "-Djavax.net.ssl.trustStore=/opt/my app/trust.jks"
    assert strip_quotes('"-Dapp.title=say \\"hi\\" C:\\\\x \\n"') == '-Dapp.title=say "hi" C:\\x \\n'
    assert strip_quotes("-Da='single'") == "-Da='single'"  # only double quotes are the wrapper's
    conf = tmp_path / "wrapper.conf"
    conf.write_text('wrapper.java.additional.1=-Djavax.net.ssl.trustStore="/opt/my app/t.jks"\n'
                    "wrapper.java.additional.1.stripquotes=TRUE\n"
                    'wrapper.java.additional.2=-Dkept="as written"\n')
    assert [o.text for o in wrapper_conf(conf, read, {}).options] == [
        "-Djavax.net.ssl.trustStore=/opt/my app/t.jks", '-Dkept="as written"']


def test_includes_expand_variables_and_resolve_from_the_wrappers_folder(tmp_path: Path) -> None:
    """The wrapper's docs (Cascading Configuration Files): a relative include is found from the wrapper's working
    folder, where its binary or launch script is, not from the including file's; %X% works in the path, a set.X
    line before it included."""
    app = tmp_path / "app"
    (app / "bin").mkdir(parents=True)
    (app / "conf" / "site").mkdir(parents=True)
    conf = app / "conf" / "wrapper.conf"
    conf.write_text("set.SITE=site\n#include ../conf/%SITE%/trust.conf\n#include.required %WRAPPER_CONF_DIR%/x.conf\n"
                    "#include next-to-the-binary.conf\n")
    (app / "conf" / "site" / "trust.conf").write_text("wrapper.java.additional.1=-Dhttps.protocols=TLSv1.3\n")
    (app / "conf" / "x.conf").write_text("wrapper.java.additional.2=-Djdk.tls.client.protocols=TLSv1.3\n")
    (app / "bin" / "next-to-the-binary.conf").write_text("wrapper.java.additional.3=-Dfrom.bin=1\n")
    (app / "conf" / "next-to-the-binary.conf").write_text("wrapper.java.additional.3=-Dfrom.conf=1\n")
    exact = wrapper_conf(conf, read, {}, app / "bin")
    assert [o.text for o in exact.options] == ["-Dhttps.protocols=TLSv1.3", "-Djdk.tls.client.protocols=TLSv1.3",
                                               "-Dfrom.bin=1"]
    assert exact.options[0].source.startswith(f"{app}/bin/../conf/site/trust.conf:1") and exact.notes == ()
    guessed = wrapper_conf(conf, read, {})  # no --working-dir: read from the conf's folder, and said so
    assert guessed.options[2].text == "-Dfrom.conf=1"
    assert "give that folder with --working-dir" in guessed.notes[0]


def test_wrapper_working_dir_is_where_the_jvm_starts(tmp_path: Path) -> None:
    """wrapper.working.dir, relative to the wrapper's own folder, is the JVM's working folder: its relative trust
    store and a relative wrapper.java.command resolve from there (the wrapper's docs, wrapper.working.dir)."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "trust.jks").write_bytes(b"\xfe\xed\xfe\xed")
    conf = tmp_path / "conf.conf"
    conf.write_text("wrapper.working.dir=..\nwrapper.java.command=jre/bin/java\n"
                    "wrapper.java.additional.1=-Djavax.net.ssl.trustStore=trust.jks\n")
    found = client.from_file(conf, conf.read_text(), tmp_path / "bin", {})
    assert (found.working_dir, found.java_home) == (tmp_path / "bin" / "..", tmp_path / "bin" / ".." / "jre")
    text, _ = client.table("svc", found)
    assert f'working_dir = "{tmp_path}/bin/.."' in text
    absolute = wrapper_conf(conf.with_name("abs.conf"), lambda p: "wrapper.working.dir=/srv/app\n", {}, None)
    assert absolute.working_dir == Path("/srv/app")
    unknown = client.from_file(conf, conf.read_text(), None, {})
    assert unknown.working_dir is None and "wrapper.working.dir=.. " in unknown.notes[0]
    with pytest.raises(ReadError, match=r"relative path.*--working-dir"):
        client.table("svc", unknown)


def test_a_launcher_variable_the_wrapper_sets_is_read_in_the_jvms_order(tmp_path: Path) -> None:
    """set.X puts X in the wrapper's environment, which the JVM inherits: JAVA_TOOL_OPTIONS before the additional
    options, _JAVA_OPTIONS after; one only inherited from this shell is not the wrapper's, so it is not read."""
    conf = tmp_path / "wrapper.conf"
    conf.write_text("set.JAVA_TOOL_OPTIONS=-Djavax.net.ssl.trustStore=/a.jks -Dapp=1\n"
                    "wrapper.java.additional.1=-Djavax.net.ssl.trustStore=/b.jks\n"
                    "set.default._JAVA_OPTIONS=-Dhttps.protocols=TLSv1.3\n")
    got = wrapper_conf(conf, read, {"JDK_JAVA_OPTIONS": "-Dfrom.this.shell=1"}).options
    assert [o.text for o in got] == ["-Djavax.net.ssl.trustStore=/a.jks", "-Dapp=1",
                                     "-Djavax.net.ssl.trustStore=/b.jks", "-Dhttps.protocols=TLSv1.3"]
    assert got[0].source == f"JAVA_TOOL_OPTIONS (set.JAVA_TOOL_OPTIONS at {conf}:1)"


def test_a_java_command_with_a_variable_unset_here_names_no_jdk(tmp_path: Path) -> None:
    conf = tmp_path / "wrapper.conf"
    conf.write_text("wrapper.java.command=%JAVA_HOME%/bin/java\nwrapper.java.additional.1=-Dhttps.protocols=TLSv1.3\n")
    found = client.from_file(conf, conf.read_text(), tmp_path, {})
    assert found.java_home is None and f"%JAVA_HOME%/bin/java ({conf}:1) names a variable not set" in found.notes[0]
    text, _ = client.table("svc", found)
    assert "# java_home: the command line runs `java` from PATH" in text and "names a variable not set" in text
