"""The fix in the HTML: blocks that copy as commands, one a line, and the plan's one note on top."""

from __future__ import annotations

import html
import re

from cutover.gates.fixplan import Action, Step
from cutover.outputs.fixtext import command
from cutover.outputs.html import fix_plan_html, verdict_html

STORE = "/stores/client truststore.jks"


def keytool(kind: str, alias: str, store: str = STORE) -> Action:
    return Action(kind, store=store, store_type="PKCS12", alias=alias, sha256="AB" * 32, subject="CN=Issuing CA",
                  file="reports/run-certs/us2-intermediate.pem")


def test_a_rows_fix_block_holds_one_command_per_real_line() -> None:
    commands = [command(keytool("delete", "ca")) or "", command(keytool("import", "ca")) or ""]
    page = verdict_html(False, "us2: alias 'ca' holds a different certificate", [], commands)
    [block] = re.findall(r"<pre class='cutover-fix'>(.*?)</pre>", page, re.S)
    # A literal backslash-n would paste as one line: keytool refuses two commands in one.
    assert "\\n" not in block and html.unescape(block).split("\n") == commands
    assert "asks for the password of the store after its -keystore" in page


def test_the_plan_says_once_what_keytool_asks_and_names_each_store_when_several() -> None:
    one = fix_plan_html([Step(keytool("delete", "ca"), (("aliases_present", "us2"),)),
                         Step(keytool("import", "ca"), (("aliases_present", "us2"),)),
                         Step(Action("provider", "serve the chain"), (("chain_trusted", "us2/acme"),), "3-1")])
    assert one.count("asks for the store password") == 1 and f"changes the store {STORE} (PKCS12)" in one
    blocks = [html.unescape(b) for b in re.findall(r"<pre class='cutover-cmd'>(.*?)</pre>", one, re.S)]
    assert blocks == [command(keytool("delete", "ca")), command(keytool("import", "ca"))]
    assert "ask the provider on SR 3-1: serve the chain" in one
    two = fix_plan_html([Step(keytool("import", "ca"), (("aliases_present", "soa:us2"),)),
                         Step(keytool("import", "ca", "/b/batch.jks"), (("aliases_present", "batch:us2"),))])
    assert "the store after its -keystore: /stores/client truststore.jks (PKCS12); /b/batch.jks (PKCS12)" in two
    assert "under alias &#x27;ca&#x27; in /b/batch.jks" in two
