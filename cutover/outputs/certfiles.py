"""Every certificate a fix imports, written once as PEM beside the run's report, for keytool -file.

The provider's zips all hold members of the same names (``root.pem``, ``intermediate.pem``): a person
extracting them by hand overwrites one data centre's root with the next, and a sandbox's zips vanish
with its temporary folder. So the run writes each CA a fix may import to ``<report>-certs/``, named
by the first data centre whose bundle holds it and its role (``us2-root.pem``, ``us2-intermediate.pem``),
once per SHA-256 however many data centres share it, and the commands name that file by a path that
works from the folder the run was made in (relative when the reports are below it).

The names are decided at configure time, before any gate runs (xdist workers are handed them), so the
command a failure prints and the file written at the end agree; only the files the plan imports are
written, when the run ends.
"""

from __future__ import annotations

import base64
import os
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path

from cutover.base import atomic
from cutover.base.certs import CertInfo
from cutover.stores.bundle import Bundle


def folder(json_path: Path) -> Path:
    """``reports/cutover-<time>-certs`` beside ``reports/cutover-<time>.json``."""
    return json_path.with_name(f"{json_path.stem}-certs")


def _cas(codes: Iterable[str], bundles: Mapping[str, Bundle]) -> dict[str, tuple[str, CertInfo]]:
    """SHA-256 -> (file name, certificate) for every CA of the bundles, the first data centre (in `codes`, the
    datacenters file's order) naming it."""
    out: dict[str, tuple[str, CertInfo]] = {}
    for code in codes:
        bundle = bundles.get(code)
        if bundle is None:
            continue
        inters = bundle.intermediates
        roles = [("root", bundle.root)] + [
            ("intermediate" if len(inters) == 1 else f"intermediate-{i}", c) for i, c in enumerate(inters, 1)]
        for role, cert in roles:
            out.setdefault(cert.sha256, (f"{code}-{role}.pem", cert))
    return out


def shown(path: Path, base: Path) -> str:
    """`path` as a command names it: relative to `base` (where the run was started) when it lies below it."""
    path, base = Path(os.path.abspath(path)), Path(os.path.abspath(base))
    return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)


def paths(codes: Iterable[str], bundles: Mapping[str, Bundle], where: Path, base: Path) -> dict[str, str]:
    """SHA-256 -> the path a keytool -file names, for every CA a fix may import."""
    return {sha: shown(where / name, base) for sha, (name, _) in _cas(codes, bundles).items()}


def pem(cert: CertInfo) -> str:
    body = "\n".join(textwrap.wrap(base64.b64encode(cert.der).decode("ascii"), 64))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"


def write(codes: Iterable[str], bundles: Mapping[str, Bundle], where: Path,
          imported: Iterable[str | None]) -> list[Path]:
    """Write the certificates of `imported` (SHA-256s) into `where`, each whole or not at all; returns the files."""
    cas = _cas(codes, bundles)
    written = []
    for sha in dict.fromkeys(s for s in imported if s in cas):
        assert sha is not None
        name, cert = cas[sha]
        atomic.write_text(where / name, pem(cert))
        written.append(where / name)
    return written
