"""A client's JVM options read from the files its launcher reads: pure functions over a `read` callable.

Many clients are not started by a ``java ...`` line one can paste but by a native launcher that builds that line
from a file: install4j and JetBrains launchers from a ``.vmoptions`` file, the Tanuki Java Service Wrapper from
``wrapper.conf``. ``cutover client --cmdline FILE`` takes those files too, so that the table says what the JVM
really gets; each option keeps the ``file:line`` it was read at, so a person can find and change it. The options
go through the same classification as a command line's (`cutover.cli.client.table`): no password is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from cutover.cli.client_read import Option, ReadError

#: How deep includes may nest: launchers stop too, and a deeper chain is a mistake, not a configuration.
MAX_DEPTH = 10
_ADDITIONAL = re.compile(r"^wrapper\.java\.additional\.(\d+)$")
_VAR = re.compile(r"%([A-Za-z0-9_.]+)%")

Reader = Callable[[Path], str]


def file_kind(path: Path, text: str) -> str:
    """``vmoptions``, ``wrapper`` or ``cmdline``: which reader a ``--cmdline FILE`` needs.

    By name first (``*.vmoptions``; ``wrapper.conf`` or a ``*.conf`` with ``wrapper.`` keys), then by content
    (a file whose lines are all options is a vmoptions file) so a renamed copy is still read right."""
    has_wrapper_keys = re.search(r"^\s*wrapper\.[A-Za-z0-9_.]+\s*=", text, re.MULTILINE) is not None
    if path.suffix == ".vmoptions":
        return "vmoptions"
    if path.name == "wrapper.conf" or has_wrapper_keys:
        return "wrapper"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    if lines and all(ln.startswith("-") for ln in lines):  # a command line starts with java (or VAR=)
        return "vmoptions"
    return "cmdline"


def _read(path: Path, read: Reader, where: str) -> str:
    try:
        return read(path)
    except OSError as e:
        raise ReadError(f"{where}: cannot read {path} ({e.strerror or e}); the client's launcher reads it when the "
                        "client starts. Run cutover where that file is readable (as the client's user), or fix the "
                        "path.") from e


def _guard(path: Path, chain: tuple[Path, ...], where: str) -> None:
    if path in chain:
        raise ReadError(f"{where}: {path} includes itself (through {' -> '.join(str(p) for p in chain)}); the "
                        "launcher would loop or refuse it. Remove the include that closes the circle.")
    if len(chain) >= MAX_DEPTH:
        raise ReadError(f"{where}: includes nest deeper than {MAX_DEPTH} files at {path}; flatten them.")


def vmoptions(path: Path, read: Reader, chain: tuple[Path, ...] = (), where: str = "") -> list[Option]:
    """The ``-D`` options of an install4j / JetBrains ``.vmoptions`` file, in the order the launcher passes them.

    One option a line (the whole line, spaces included: these launchers do not split it), ``#`` lines and blank
    lines skipped; ``-include-options PATH`` is replaced by that file's options, a relative PATH found from the
    including file's folder, with a guard against a cycle and a depth limit."""
    _guard(path, chain, where or str(path))
    text = _read(path, read, where or str(path))
    chain = (*chain, path)
    out: list[Option] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        here = f"{path}:{n}"
        if not line or line.startswith("#"):
            continue
        if line.startswith("-include-options"):
            target = line[len("-include-options"):].strip().strip("\"'")
            if not target:
                raise ReadError(f"{here}: -include-options names no file; give the file after it.")
            out += vmoptions(path.parent / target, read, chain, f"{here} (-include-options {target})")
        elif line.startswith("-D"):
            out.append(Option(line, here))
    return out


def _conf_lines(path: Path, read: Reader, chain: tuple[Path, ...],
                where: str) -> list[tuple[str, str, str]]:
    """(key, value, file:line) of a wrapper.conf and its ``#include`` files, in reading order."""
    _guard(path, chain, where)
    text = _read(path, read, where)
    chain = (*chain, path)
    out: list[tuple[str, str, str]] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        here = f"{path}:{n}"
        directive = re.match(r"^#include(\.required)?\s+(.+)$", line)
        if directive:
            inc = path.parent / directive.group(2).strip().strip("\"'")
            if directive.group(1) is None and inc not in chain:
                try:
                    read(inc)
                except OSError:  # plain #include: the wrapper skips a missing file
                    continue
            out += _conf_lines(inc, read, chain, here)
        elif line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            out.append((key.strip(), value.strip(), here))
    return out


def _expand(value: str, env: Mapping[str, str]) -> str:
    """``%X%`` replaced by X's value; an undefined one stays as written (as the wrapper leaves it)."""
    return _VAR.sub(lambda m: env.get(m.group(1), m.group(0)), value)


def _strip_quotes(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def wrapper_conf(path: Path, read: Reader, environ: Mapping[str, str]) -> tuple[str | None, list[Option]]:
    """The java command and ``-D`` options a Tanuki Java Service Wrapper builds from `path` (its wrapper.conf).

    ``wrapper.java.command`` is the java to run; ``wrapper.java.additional.N`` are the JVM's options, ordered by
    N (not by line), with ``.stripquotes=TRUE`` removing surrounding quotes; ``set.X=value`` defines X
    (``set.default.X`` only when X is unset) for ``%X%`` expansion (over `environ`, the real environment), an
    undefined ``%X%`` stays; ``#include`` and ``#include.required`` read another file from the including file's
    folder (a missing plain include is skipped, as the wrapper does). A later definition of a key wins."""
    props: dict[str, tuple[str, str]] = {}
    env = dict(environ)
    for key, value, where in _conf_lines(path, read, (), str(path)):
        if key.startswith("set.default."):  # the wrapper's default: only where the variable is not set yet
            env.setdefault(key[12:], _expand(value, env))
        elif key.startswith("set."):
            env[key[4:]] = _expand(value, env)
        else:
            props[key] = (value, where)
    command = props.get("wrapper.java.command")
    java = _expand(command[0], env) if command else None
    numbered = sorted((int(m.group(1)), key) for key in props if (m := _ADDITIONAL.match(key)))
    out: list[Option] = []
    for number, key in numbered:
        value, where = props[key]
        value = _expand(value, env)
        strip = props.get(f"{key}.stripquotes", ("", ""))[0].upper() == "TRUE"
        value = _strip_quotes(value) if strip else value
        if value.startswith("-D"):
            out.append(Option(value, f"{where} (wrapper.java.additional.{number})"))
    return java, out
