"""Where a warning points: the line of a data centre's table and of each pod's entry (cutover.config.lines)."""

from __future__ import annotations

from pathlib import Path

from cutover.config import load

TEXT = """[truststore]
path = "store.jks"

[datacenters.us2]
pods = [
  "abcd-test",
  "abcd",
  "https://fa-eabc-saasfaprod1.fa.ocs.oraclecloud.com/fscmUI/",
]

[datacenters."em3"]
pods = ["abcd"]
"""


def test_each_pod_and_data_centre_has_its_own_line(tmp_path: Path) -> None:
    (tmp_path / "store.jks").write_bytes(b"\xfe\xed\xfe\xed")
    path = tmp_path / "datacenters.toml"
    path.write_text(TEXT)
    cfg = load(path)
    assert {key: cfg.line_of(key) for key in ("us2", "us2/abcd-test", "us2/abcd", "us2/fa-eabc-saasfaprod1",
                                              "em3", "em3/abcd")} == {
        "us2": 4, "us2/abcd-test": 6, "us2/abcd": 7, "us2/fa-eabc-saasfaprod1": 8, "em3": 11, "em3/abcd": 12}
    assert cfg.line_of("nowhere") == 0
