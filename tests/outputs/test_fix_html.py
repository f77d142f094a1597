"""The fix in the HTML: blocks that copy as commands, one a line, and the plan's one note on top."""

from __future__ import annotations

import html
import re

from cutover.gates.fixplan import Action, Step
from cutover.outputs.fixtext import command
from cutover.outputs.html import fix_plan_html, verdict_html

STORE = "/stores/client truststore.jks"


def keytool(kind: str, alias: str, store: str = STORE, password_env: str | None = "STORE_PW") -> Action:
    return Action(kind, store=store, store_type="PKCS12", alias=alias, sha256="AB" * 32, subject="CN=Issuing CA",
                  file="reports/run-certs/us2-intermediate.pem", password_env=password_env)


def test_a_rows_fix_block_holds_one_command_per_real_line() -> None:
    commands = [command(keytool("delete", "ca")) or "", command(keytool("import", "ca")) or ""]
    page = verdict_html(False, "us2: alias 'ca' holds a different certificate", [], commands)
    [block] = re.findall(r"<pre class='cutover-fix'>(.*?)</pre>", page, re.S)
    # A literal backslash-n would paste as one line: keytool refuses two commands in one.
    assert "\\n" not in block and html.unescape(block).split("\n") == commands
    assert "each reads the variable after its -storepass:env" in page
    assert all(c.endswith("-storepass:env STORE_PW -noprompt") for c in commands)


def blocks(page: str, kind: str) -> list[str]:
    return [html.unescape(b) for b in re.findall(rf"<pre class='cutover-{kind}'>(.*?)</pre>", page, re.S)]


def test_the_plan_opens_with_the_password_once_then_its_store_steps_as_one_block() -> None:
    one = fix_plan_html([Step(keytool("delete", "ca"), (("aliases_present", "us2"),)),
                         Step(keytool("import", "ca"), (("aliases_present", "us2"),)),
                         Step(Action("provider", "serve the chain"), (("chain_trusted", "us2/acme"),), "3-1")])
    assert blocks(one, "setup") == ["read -rs STORE_PW && export STORE_PW"]
    assert "Read-Host -AsSecureString" in one and "set /p shows the password as you type it" in one
    assert f"paste this block into that shell, all at once, from the folder this run was made in; it changes the " \
           f"store {STORE} (PKCS12):" in html.unescape(one)
    # One block: each step's words echoed (a # comment is a command in an interactive zsh), then its command.
    assert blocks(one, "script") == ["\n".join([
        "echo '1. delete alias ca (fixes aliases_present for us2)'", command(keytool("delete", "ca")),
        "echo '2. import CN=Issuing CA under alias ca (fixes aliases_present for us2)'",
        command(keytool("import", "ca"))])]
    assert "<ol start='3'><li class='cutover-step cutover-provider'>ask the provider on SR 3-1: serve the chain" in one
    two = fix_plan_html([Step(keytool("import", "ca"), (("aliases_present", "soa:us2"),)),
                         Step(keytool("import", "ca", "/b/batch.jks"), (("aliases_present", "batch:us2"),))])
    assert "the store after its -keystore: /stores/client truststore.jks (PKCS12); /b/batch.jks (PKCS12)" in two
    assert "under alias ca in /b/batch.jks" in blocks(two, "script")[0]


def test_without_a_password_variable_keytool_asks_and_the_plan_says_so() -> None:
    page = fix_plan_html([Step(keytool("import", "ca", password_env=None), (("aliases_present", "us2"),))])
    assert "asks for the store password" in page and "cutover-setup" not in page
    assert blocks(page, "script")[0].endswith("-storetype PKCS12 -noprompt")
