"""A store's password: read from its environment variable at the moment a store is opened, nowhere else.

The password is never an option, a config field or a repr, so it cannot reach a command line, a shell
history or a report; only the variable's name travels. The JDKs' own cacerts is the one store with a
password everybody knows, so it opens without a variable.
"""

from __future__ import annotations

import getpass
import os
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


def ask(prompt: str) -> str | None:
    """The password typed on the terminal, without echo; None when the person just pressed Enter.

    Callers check that there is a terminal first: a CI job has none, and must be told which variable to set.
    """
    return getpass.getpass(prompt) or None
