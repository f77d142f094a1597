"""A store's password: read from its environment variable at the moment a store is opened, nowhere else.

The password is never an option, a config field or a repr, so it cannot reach a command line, a shell
history or a report; only the variable's name travels. The JDKs' own cacerts is the one store with a
password everybody knows, so it opens without a variable.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Mapping

#: The password the JDKs ship their cacerts with; a well-known constant, not a secret. A JDK that ships
#: cacerts as a password-less PKCS12 opens it with any password.
CACERTS_PASSWORD = "changeit"
#: The variable the probe JVM reads it from (the probe reads passwords from the environment only).
CACERTS_ENV = "CUTOVER_CACERTS_PASSWORD"


def from_env(env: str, *, cacerts: bool = False, environ: Mapping[str, str] | None = None) -> str | None:
    """The password in variable `env` ('' for a store without one); None when it is not set.

    For a JDK's cacerts an unset variable means the well-known default, since nobody exports it.
    `environ` defaults to this process's environment.
    """
    source = os.environ if environ is None else environ
    if cacerts:
        return source.get(env, CACERTS_PASSWORD) if env else CACERTS_PASSWORD
    return source.get(env) if env else None


class NotTyped(Exception):
    """The person ended the password prompt (Ctrl-C or Ctrl-D) instead of typing: the message says which."""


def ask(prompt: str) -> str | None:
    """The password typed on the terminal, without echo; None when the person just pressed Enter.

    Ctrl-C and Ctrl-D raise `NotTyped` rather than KeyboardInterrupt and EOFError, so that every caller ends
    with one line and its usage exit code instead of a traceback. Callers check that there is a terminal
    first: a CI job has none, and must be told which variable to set.
    """
    try:
        return getpass.getpass(prompt) or None
    except KeyboardInterrupt:
        print(file=sys.stderr)  # getpass leaves the cursor after the prompt
        raise NotTyped("no password was typed (Ctrl-C at the prompt)") from None
    except EOFError:
        print(file=sys.stderr)
        raise NotTyped("no password was typed (Ctrl-D at the prompt)") from None
