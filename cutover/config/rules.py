"""One rule per check, for every reader of the configuration: what a TCP port is, what an IP literal is, what a
DNS name is. The readers word their errors for where the value came from; the rule itself is said once.

A leaf of the config stage (it imports nothing of cutover), so the proxy's reader, below the model, uses it too.
"""

from __future__ import annotations

import ipaddress
import re

#: What a port error says a port must be.
PORT_RANGE = "a TCP port (1-65535)"

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def is_port(number: int) -> bool:
    return 0 < number < 65536


def is_ip_literal(name: str) -> bool:
    """An IPv4 or IPv6 address (bracketed too), or a name whose last label is all digits, which no DNS name has
    (a top-level domain is never numeric) and which resolvers and Java take for an address. Such a host sends no
    SNI and matches no certificate's DNS name (Python's ssl sends none for it)."""
    name = name.strip().strip("[]").rstrip(".")
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return name.rsplit(".", 1)[-1].isdigit()


def is_dns_name(name: str) -> bool:
    """A lower-case DNS name of two labels or more: letters, digits and hyphens, no label starting or ending with
    a hyphen, at most 253 characters."""
    labels = name.split(".")
    return len(name) <= 253 and len(labels) >= 2 and all(_LABEL.match(x) for x in labels)
