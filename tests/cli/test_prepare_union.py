"""prepare and a client that trusts several files together: refused in one paragraph, never a READY judged on the
copy of the first file alone (its gate runs name one file with --truststore, which would drop the others)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover.cli import prepare
from tests.config.test_load import GOOD, write


def test_prepare_refuses_a_union_naming_its_files_and_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "DemoTrust.jks").write_bytes(b"\xfe\xed\xfe\xed")
    toml = write(tmp_path, GOOD.replace('path = "store.jks"', 'path = ["store.jks", "DemoTrust.jks"]'))
    with pytest.raises(prepare.PrepareError) as e:
        prepare._client(toml, None)
    said = str(e.value)
    assert f"trusts 2 files together ({tmp_path / 'store.jks'}, {tmp_path / 'DemoTrust.jks'})" in said, said
    assert "each of which names the file it changes" in said and "\n" not in said
