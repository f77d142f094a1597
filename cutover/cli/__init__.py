"""``cutover truststore|bundle PATH``: look before you test; ``prepare``: a fixed store; ``init``, ``client``: config.

``cutover`` is the console script an install puts on PATH; ``python -m cutover`` is the same program.

For the integration admin who wants to see what is in a store or a provider's bundle the way cutover
(and Java) sees it, without the gates. Exit 0 on success, 1 when the bundle does not link, 2 on bad
input; every error is one paragraph naming the file.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from cutover.base import exit_codes
from cutover.base.text import printable
from cutover.cli.inspect import cmd_bundle, cmd_truststore
from cutover.config import DEFAULT_PASSWORD_ENV


def _init_parser(sub: argparse._SubParsersAction) -> None:
    """``init``'s options: from the pods' URLs and the provider's zips, a first datacenters.toml."""
    it = sub.add_parser("init", help="write a first datacenters.toml from your pods' URLs and the provider's zips")
    it.add_argument("hosts", nargs="+", metavar="URL_OR_HOST",
                    help="a pod's URL from the browser's address bar, or its hostname")
    it.add_argument("--bundles", type=Path, metavar="DIR",
                    help="the folder of the provider's zips; each data centre gets the one whose server "
                         "certificate names its pods, else the one with its code in the file name")
    it.add_argument("--truststore", type=Path, metavar="PATH",
                    help="your client's store: the aliases the bundles' root and intermediate sit under in it")
    it.add_argument("--password-env", default=DEFAULT_PASSWORD_ENV,
                    help=f"environment variable holding the store's password (default {DEFAULT_PASSWORD_ENV})")
    it.add_argument("--nameserver", action="append", default=[], metavar="IP[:PORT]",
                    help="DNS resolver to look the pods up with, written to [run] nameservers (repeatable; "
                         "default: the system resolver)")
    it.add_argument("--no-resolve", action="store_true",
                    help="do not look the pods and their staging twins up before writing the file")
    it.add_argument("--out", type=Path, default=Path("datacenters.toml"),
                    help="the file to write (default: ./datacenters.toml); never overwritten")


def _client_parser(sub: argparse._SubParsersAction) -> None:
    """``client``'s options: one client, read where it runs, as a [clients.NAME] table."""
    cl = sub.add_parser("client", help="a [clients.NAME] table read where the client runs: its JDK, store, options")
    cl.add_argument("--name", required=True, help="the client's name, its [clients.NAME] table")
    src = cl.add_mutually_exclusive_group(required=True)
    src.add_argument("--pid", type=int, help="a running client's JVM (Linux /proc): its JDK, options, environment")
    src.add_argument("--cmdline", metavar="FILE|-", help="a file holding its java command line, or - to paste it")
    src.add_argument("--weblogic-domain", type=Path, metavar="DIR",
                     help="a WebLogic domain folder: the server's trust as config.xml and its start scripts set it")
    cl.add_argument("--server", metavar="NAME",
                    help="with --weblogic-domain: the server to read (required when the domain has several)")
    cl.add_argument("--no-jcmd", action="store_true",
                    help="with --pid: do not ask jcmd for properties the program sets at run time")
    cl.add_argument("--working-dir", type=Path, metavar="DIR",
                    help="with --cmdline: the folder its JVM starts in (relative @argfiles and stores); for a "
                         "wrapper.conf, the wrapper's own folder (its #includes and wrapper.working.dir from it)")
    cl.add_argument("--write", type=Path, metavar="FILE",
                    help="add the table to this datacenters.toml (refused when the name exists; checked by loading)")


#: The commands whose code lives in a module of their own: (the usage error it raises, how its message starts).
_COMMANDS = {"client": ("ReadError", "cutover client: "), "init": ("InitError", ""),
             "prepare": ("PrepareError", "cutover prepare: ")}


def _command(args: argparse.Namespace) -> int:
    """Run `args.command` from its own module, loaded only when it runs (the others' start-up stays as it was);
    its usage error is one paragraph on stderr and exit code BAD_INPUT, never a traceback. init's messages name
    the command themselves."""
    error, prefix = _COMMANDS[args.command]
    module = importlib.import_module(f"cutover.cli.{args.command}")
    try:
        return int(module.main(args))
    except getattr(module, error) as e:
        print(f"{prefix}{printable(str(e), 4000, keep=chr(10))}", file=sys.stderr)
        return exit_codes.BAD_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    # The `cutover` script and `python -m cutover` are the same program; --help names the one that ran.
    prog = "python -m cutover" if Path(sys.argv[0]).name == "__main__.py" else "cutover"
    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    ts = sub.add_parser("truststore", help="list a truststore as Java sees it")
    ts.add_argument("path", type=Path)
    ts.add_argument("--password-env", default=DEFAULT_PASSWORD_ENV,
                    help=f"environment variable holding the password (default {DEFAULT_PASSWORD_ENV})")
    ts.add_argument("--json", action="store_true", help="print JSON for scripts")
    bd = sub.add_parser("bundle", help="classify a provider bundle and check that its chain links")
    bd.add_argument("path", type=Path)
    bd.add_argument("--json", action="store_true", help="print JSON for scripts")
    pr = sub.add_parser("prepare", help="a fixed copy of the client's truststore, proven against staging by the gates")
    pr.add_argument("--datacenters", type=Path, required=True, help="the datacenters.toml of the run")
    pr.add_argument("--out", type=Path, required=True, help="the new store to write (the original is only read)")
    pr.add_argument("--client", metavar="NAME", help="the client whose store to prepare (when there are several)")
    pr.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    pr.add_argument("--reports-dir", type=Path,
                    help="where the prepare run's reports go (default: ./reports/ of the current folder)")
    pr.add_argument("pytest_args", nargs="*", metavar="-- PYTEST-OPTION",
                    help="more options for the gate runs after --, e.g. -- --nameserver=10.0.0.53")
    _init_parser(sub)
    _client_parser(sub)
    args = p.parse_args(argv)
    if args.command in _COMMANDS:
        return _command(args)
    if args.command == "truststore":
        return cmd_truststore(args.path, args.password_env, args.json)
    return cmd_bundle(args.path, args.json)


if __name__ == "__main__":
    sys.exit(main())
