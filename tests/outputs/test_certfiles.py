"""The certificates a fix imports, as files beside the report: named by data centre and role, once per SHA-256."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from cutover.base.certs import CertInfo
from cutover.outputs import certfiles
from cutover.sandbox import pki
from cutover.stores.bundle import Bundle


def info(issued: pki.Issued) -> CertInfo:
    from cryptography.hazmat.primitives.serialization import Encoding

    return CertInfo.from_der(issued.cert.public_bytes(Encoding.DER))


def test_one_file_per_certificate_named_by_its_first_data_centre_and_role(tmp_path: Path) -> None:
    root = pki.make_root("Shared Root")
    inter_a, inter_b = pki.make_intermediate("CA A", root), pki.make_intermediate("CA B", root)
    # Every zip holds members of the same names: extracting them by hand overwrites one with the next.
    bundles = {dc: Bundle(tmp_path / f"{dc}.zip", info(root), (info(inter),), (), {})
               for dc, inter in (("us2", inter_a), ("em3", inter_b), ("ca2", inter_a))}
    where = tmp_path / "reports" / "cutover-1-certs"
    paths = certfiles.paths(["us2", "em3", "ca2"], bundles, where, base=tmp_path)
    assert paths == {info(root).sha256: "reports/cutover-1-certs/us2-root.pem",
                     info(inter_a).sha256: "reports/cutover-1-certs/us2-intermediate.pem",
                     info(inter_b).sha256: "reports/cutover-1-certs/em3-intermediate.pem"}
    # Outside the folder the run was made in, the path is absolute: it works from anywhere.
    assert certfiles.paths(["us2"], bundles, where, base=tmp_path / "elsewhere")[info(root).sha256] == \
        str(where / "us2-root.pem")
    written = certfiles.write(["us2", "em3", "ca2"], bundles, where, [info(inter_b).sha256, None,
                                                                       info(inter_b).sha256, info(root).sha256])
    assert [p.name for p in written] == ["em3-intermediate.pem", "us2-root.pem"], "only what the plan imports"
    assert sorted(p.name for p in where.iterdir()) == ["em3-intermediate.pem", "us2-root.pem"]
    assert x509.load_pem_x509_certificate((where / "us2-root.pem").read_bytes()) == root.cert
