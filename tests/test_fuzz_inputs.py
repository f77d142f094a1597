"""Random bytes and structured near-misses fed to the config loader, the store reader and the bundle
reader: each may only refuse with its own documented error, never crash, hang or pass garbage on."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cutover.config import ConfigError, load
from cutover.sandbox import pki
from cutover.stores import bundle, truststore
from tests.test_config import GOOD, write

pytestmark = pytest.mark.e2e  # starts processes or servers: not in make test-fast

# FUZZ_EXAMPLES=2000 for a longer hunt; 150 keeps make test quick.
SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
ROOT = pki.make_root("Fuzz Root")
INTER = pki.make_intermediate("Fuzz CA", ROOT)
LEAF = pki.make_leaf(["abcd.fa.us2.oraclecloud.com"], INTER)

def _write(folder: Path, name: str, data: bytes) -> Path:
    p = folder / name
    p.write_bytes(data)
    return p


@SETTINGS
@given(st.binary(max_size=2000))
def test_config_random_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        write(folder, GOOD)  # the store and bundle it names exist; the file itself is then replaced
        try:
            load(_write(folder, "datacenters.toml", data))
        except ConfigError as e:
            assert "datacenters.toml" in str(e) or "--dc" in str(e)


KEYS = ["app", "hostname", "port", "pods", "name", "bundle", "timeout", "root_alias", "renewal_date", "prot",
        "path", "password_env", "nameservers", "java_options", "concurrency", "warn_days"]
VALUES = st.one_of(st.integers(-5, 70000), st.text(max_size=30), st.booleans(), st.lists(st.text(max_size=10),
                   max_size=3), st.floats(allow_nan=False, allow_infinity=False), st.dates().map(str))


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@SETTINGS
@given(table=st.sampled_from(["defaults", "truststore", "run", "datacenters.us2", "datacenters.em3"]),
       key=st.sampled_from(KEYS), value=VALUES)
def test_config_near_misses(table: str, key: str, value: object) -> None:
    """A valid file with one key set to something plausible: loads, or one ConfigError naming the file."""
    text = GOOD.replace(f"[{table}]", f"[{table}]\n{key} = {_toml_value(value)}", 1)
    if f"[{table}]" not in GOOD:
        text += f"\n[{table}]\n{key} = {_toml_value(value)}\n"
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        try:
            cfg = load(write(folder, text))
        except ConfigError as e:
            assert str(folder / "datacenters.toml") in str(e) or "nameserver" in str(e) or "java option" in str(e)
            assert "\n" not in str(e).strip(), "one paragraph"
        else:
            for t in cfg.targets:
                assert t.hostname and 0 < t.port < 65536 and t.timeout > 0


STORE_PREFIXES = [b"", b"\xfe\xed\xfe\xed", b"\xce\xce\xce\xce", b"0\x82\x01\x00\x02\x01\x03",
                  b"-----BEGIN CERTIFICATE-----\n"]


@SETTINGS
@given(prefix=st.sampled_from(STORE_PREFIXES), body=st.binary(max_size=3000), password=st.one_of(st.none(),
       st.text(max_size=12)))
def test_store_reader_random_bytes(prefix: bytes, body: bytes, password: str | None) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = _write(Path(d), "store.jks", prefix + body)
        try:
            contents = truststore.read(path, password)
        except truststore.TruststoreError as e:
            assert str(path) in str(e)
        else:
            assert all(e.alias is not None for e in contents.entries)


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory, keytool: Path) -> bytes:
    from tests.conftest import make_store

    folder = tmp_path_factory.mktemp("fuzzstore")
    return make_store(keytool, folder / "s.p12", "Fuzz-Pa55", {"root": ROOT, "inter": INTER}).read_bytes()


@SETTINGS
@given(data=st.data())
def test_store_reader_mutated_real_store(real_store: bytes, data: st.DataObject) -> None:
    """A keytool store with bytes flipped, cut or inserted: read correctly, or refused with our error."""
    buf = bytearray(real_store)
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        i = data.draw(st.integers(0, len(buf) - 1))
        if kind == "flip":
            buf[i] ^= data.draw(st.integers(1, 255))
        elif kind == "cut":
            del buf[i:]
            if not buf:
                buf = bytearray(b"\x30")
        else:
            buf[i:i] = data.draw(st.binary(min_size=1, max_size=8))
    with tempfile.TemporaryDirectory() as d:
        path = _write(Path(d), "s.p12", bytes(buf))
        try:
            truststore.read(path, "Fuzz-Pa55")
        except truststore.TruststoreError as e:
            assert str(path) in str(e)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


PIECES = [ROOT.pem, INTER.pem, LEAF.pem, pki.make_root("Other").pem, b"garbage", b"-----BEGIN PKCS7-----\nAAAA\n"
          b"-----END PKCS7-----\n", b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"]


@SETTINGS
@given(pieces=st.lists(st.sampled_from(PIECES), max_size=6), noise=st.binary(max_size=200),
       as_zip=st.booleans())
def test_bundle_reader_near_misses(pieces: list[bytes], noise: bytes, as_zip: bool) -> None:
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        if as_zip:
            path = _write(folder, "b.zip", _zip({f"{i}.cer": p for i, p in enumerate([*pieces, noise])}))
        else:
            path = _write(folder, "b.pem", b"".join(pieces) + noise)
        try:
            b = bundle.read(path)
        except bundle.BundleError as e:
            assert str(path) in str(e)
        else:
            assert b.root.is_ca and b.intermediates and all(not s.is_ca for s in b.servers)


@SETTINGS
@given(st.binary(max_size=3000))
def test_bundle_reader_random_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = _write(Path(d), "b.zip", b"PK\x03\x04" + data)
        try:
            bundle.read(path)
        except bundle.BundleError as e:
            assert str(path) in str(e)
