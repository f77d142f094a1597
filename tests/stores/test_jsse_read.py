"""A store read as JSSE reads its default trust store: the password is optional, and its absence changes what
Java sees (a PKCS12 whose certificates are encrypted holds nothing), where the toml's store needs its password."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover.sandbox import pki
from cutover.stores import truststore
from tests.conftest import make_store


def test_without_a_password_jsse_sees_a_jks_whole_and_an_encrypted_pkcs12_empty(tmp_path: Path,
                                                                                   keytool: Path) -> None:
    root = pki.make_root("JSSE Read Root")
    jks = make_store(keytool, tmp_path / "a.jks", "changeit", {"root": root}, storetype="JKS")
    p12 = make_store(keytool, tmp_path / "b.p12", "changeit", {"root": root})
    assert [e.alias for e in truststore.read(jks, None, jsse=True).trusted] == ["root"]
    assert truststore.read(p12, None, jsse=True).entries == ()  # every handshake of that client fails
    assert [e.alias for e in truststore.read(p12, "changeit", jsse=True).trusted] == ["root"]
    # The toml's store is not JSSE's default: no password is a usage error naming the variable, as before.
    with pytest.raises(truststore.TruststoreError, match="is password-protected but no password was given"):
        truststore.read(p12, None, password_env="PW")
