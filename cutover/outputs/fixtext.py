"""The fix plan and a verdict's remedy as text: keytool's arguments quoted for a shell, each step in words.

The decisions (which steps, merged how, in what order) are `cutover.gates.fixplan`'s; keytool's arguments are
built by `cutover.stores.keytool`. This module only says them: the line a person pastes, the sentence the
report and the terminal show, and the JSON's copy of both.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable, Sequence

from cutover.gates.fixplan import INVESTIGATE, PROVIDER, STORE_KINDS, Action, Step, keytool_args
from cutover.stores.links import link_words


def quote_args(args: Iterable[str]) -> str:
    """Arguments quoted for the shell the user will paste them into: POSIX sh, or cmd/PowerShell on Windows."""
    if os.name == "nt":
        import subprocess

        return subprocess.list2cmdline(list(args))
    return " ".join(shlex.quote(a) for a in args)


def command(action: Action) -> str | None:
    """The keytool command for a store action, to paste as one line; None for any other action. No password in
    it: keytool reads it from the variable the action names (``-storepass:env``), or asks. Nothing after it on
    the line either: a trailing ``# comment`` swallows the next command when several lines are pasted at once."""
    if action.kind not in STORE_KINDS or action.store is None:
        return None
    return "keytool " + quote_args(keytool_args(action))


def commands(actions: Iterable[Action]) -> tuple[str, ...]:
    """A verdict's remedy: the keytool commands of its actions, in order."""
    return tuple(c for c in (command(a) for a in actions) if c)


def failure_text(message: str, remedy: Sequence[str]) -> str:
    """A failure as pytest and the JUnit XML say it: the message, then its commands under "To fix it"."""
    return message + ("\nTo fix it:\n  " + "\n  ".join(remedy) if remedy else "")


def what(action: Action) -> str:
    """The store step in words, for the line above its command."""
    if action.kind == "changealias":
        return f"rename alias {action.alias!r} to {action.dest_alias!r}"
    if action.kind == "import":
        return f"import {action.subject or 'the certificate'} under alias {action.alias!r}"
    return f"delete alias {action.alias!r}"


def fixes_text(step: Step) -> str:
    """``aliases_present for 14 data centres and chain_trusted for us2/acme``."""
    by_gate: dict[str, list[str]] = {}
    for gate, target in step.fixes:
        by_gate.setdefault(gate, []).append(target)
    gates_of: dict[tuple[str, ...], list[str]] = {}  # gates failing on the same targets are said together
    for gate, targets in by_gate.items():
        gates_of.setdefault(tuple(targets), []).append(gate)
    parts = []
    for group, gates in gates_of.items():
        names = gates[0] if len(gates) == 1 else f"{', '.join(gates[:-1])} and {gates[-1]}"
        if len(group) <= 3:
            parts.append(f"{names} for {', '.join(group)}")
        else:
            noun = "pods" if all("/" in t for t in group) else "data centres"
            parts.append(f"{names} for {len(group)} {noun}")
    return "; ".join(parts) if any(" and " in p for p in parts) and len(parts) > 1 else " and ".join(parts)


def sentence(step: Step) -> str:
    """The step in one line, as the terminal and the report say it."""
    a = step.action
    if a.kind in STORE_KINDS:
        said = f"run once: {command(a)}"
    elif a.kind == PROVIDER:
        said = f"ask the provider on SR {step.sr}: {a.text}" if step.sr else \
            f"ask the provider (no SR set for these pods): {a.text}"
    elif a.kind == INVESTIGATE:
        said = f"look into: {a.text}"
    else:
        said = f"on your side: {a.text}"
    return f"{said} (fixes {fixes_text(step)})"


def step_json(step: Step) -> dict[str, object]:
    """A step of the JSON's ``fix_plan``: its data (`Step.from_json` reads it back), its command and its words."""
    return {"owner": step.owner, "sr": step.sr, **step.action.to_json(), "command": command(step.action),
            "fixes": [{"gate": g, "target": t} for g, t in step.fixes], "fixes_text": fixes_text(step),
            "sentence": sentence(step)}


def plan_json(steps: Sequence[Step]) -> list[dict[str, object]]:
    return [{"step": i, **step_json(s)} for i, s in enumerate(steps, 1)]


def stores_of(steps: Sequence[Step]) -> list[str]:
    """The stores the plan's keytool commands change, each once: ``/path/store.jks (PKCS12)``, and where a symbolic
    link stands between, the file keytool really changes and the other JDKs that read it as their cacerts."""
    return list(dict.fromkeys(f"{s.action.store} ({s.action.store_type or 'PKCS12'}){link_words(s.action.store)}"
                              for s in steps if command(s.action) and s.action.store))


def password_vars(steps: Sequence[Step]) -> list[str]:
    """The variables the plan's keytool commands read the store password from, each once."""
    return list(dict.fromkeys(s.action.password_env for s in steps if command(s.action) and s.action.password_env))


def read_line(variable: str) -> str:
    """bash and zsh: the password typed without echo into `variable`, exported for keytool, in no history."""
    return f"read -rs {variable} && export {variable}"


def powershell_line(variable: str) -> str:
    """PowerShell (5.1 and 7): the same, through a SecureString prompt."""
    return (f"$env:{variable} = [Net.NetworkCredential]::new('', (Read-Host -AsSecureString 'store password'))"
            ".Password")


def cmd_warning(variable: str) -> str:
    """cmd has no way to read a password without echo: the plan says so rather than offer a line that shows it."""
    return ("set /p shows the password as you type it and leaves it on the screen (cmd has no hidden prompt): set "
            f"{variable} in PowerShell instead")


def changed(steps: Sequence[Step]) -> str:
    """Which store the plan's commands change, in words: one named, or each after its -keystore."""
    stores = stores_of(steps)
    return f"the store {stores[0]}" if len(stores) == 1 else "the store after its -keystore: " + "; ".join(stores)


def keytool_note(steps: Sequence[Step]) -> list[str]:
    """What the plan says once, on top, when it has keytool commands: how to set the store password once (it
    stays out of the shell's history, and no command asks for it), and which store the commands change.
    Empty when it has none."""
    if not stores_of(steps):
        return []
    which = changed(steps)
    variables = password_vars(steps)
    if not variables:
        return [f"Each keytool command asks for the store password (type it; it is never part of a command) and "
                f"changes {which}. Paste each command as one line, from the folder this run was made in."]
    names = " and ".join(variables)
    return [f"Set the store password once, in the shell you will paste into (typed, it stays out of the shell's "
            f"history; every keytool command reads it from {names} with -storepass:env, so none asks for it):",
            *(f"  bash or zsh: {read_line(v)}" for v in variables),
            *(f"  PowerShell:  {powershell_line(v)}" for v in variables),
            *(f"  cmd:         {cmd_warning(v)}" for v in variables),
            "Then run the keytool commands below in that shell, from the folder this run was made in (the report's "
            f"fix plan holds them as one block to paste); they change {which}."]


def step_heading(number: int, step: Step, several: bool) -> str:
    """A store step in words, with its number: the line above its command."""
    a = step.action
    where = f" in {a.store}" if several else ""
    return f"{number}. {what(a)}{where} (fixes {fixes_text(step)})"


def script(steps: Sequence[Step]) -> list[str]:
    """The store steps as one block to paste after the password is set: for each, an ``echo`` of what it does
    (a ``#`` comment is a command in an interactive zsh, which has interactive_comments off) and its command."""
    several = len(stores_of(steps)) > 1
    lines: list[str] = []
    for i, s in enumerate(steps, 1):
        cmd = command(s.action)
        if cmd is None:
            continue
        extract = extract_note(s.action)
        said = step_heading(i, s, several) + (f"; {extract}" if extract else "")
        # The words without the quotes around names: inside the echo's own quotes each would read '"'"'.
        lines += [f"echo {quote_args([' '.join(said.replace(chr(39), '').split())])}", cmd]
    return lines


def extract_note(action: Action) -> str | None:
    """For a run that wrote no certificate files: the file to take out of the provider's zip first, in words."""
    if action.zipped is None:
        return None
    archive, member = action.zipped
    return f"first extract {member} from {archive} into that folder (this run wrote no certificate files)"


def plan_lines(steps: Sequence[Step]) -> list[str]:
    """The plan as lines for the terminal: how to set the password, then numbered steps, each keytool command
    alone on its own line, so that it pastes as printed."""
    several = len(stores_of(steps)) > 1
    lines = keytool_note(steps)
    for i, s in enumerate(steps, 1):
        a = s.action
        cmd = command(a)
        if cmd is None:
            lines.append(f"{i}. {sentence(s)}")
            continue
        lines.append(step_heading(i, s, several) + ":")
        extract = extract_note(a)
        lines += [f"   {extract}"] if extract else []
        lines.append(f"   {cmd}")
    return lines
