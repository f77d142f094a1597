"""Behind a corporate proxy: every connection goes through the sandbox's CONNECT proxy
(`cutover.sandbox.proxy`), which tunnels, wants credentials, forbids staging or never answers."""

from __future__ import annotations

from cutover.sandbox.scenario import PROXY_FAULT, Scenario

VIA_PROXY = Scenario(
    "via-proxy", "every connection goes through an HTTP CONNECT proxy on 127.30.0.1, as behind a "
    "corporate proxy (everything passes)", (), "", proxy="open")
PROXY_AUTH_REQUIRED = Scenario(
    "proxy-auth-required", "the CONNECT proxy wants a user and password (407) and the run gives none",
    PROXY_FAULT, "407 Proxy Authentication Required", proxy="auth")
PROXY_FORBIDS_STAGING = Scenario(
    "proxy-forbids-staging", "the CONNECT proxy answers 403 for every staging IP and tunnels to "
    "production", PROXY_FAULT, "403 Forbidden", proxy="forbid")
PROXY_SILENT = Scenario(
    "proxy-silent", "the CONNECT proxy accepts connections and never answers", PROXY_FAULT,
    "did not answer CONNECT", proxy="silent", config=(("connect_timeout", "1.5"),))
