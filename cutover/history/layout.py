"""The evidence file's identity and layout: its schema name, its writer (`dumps`) and the reader of its
members (`members`), together.

A run reads up to 90 earlier runs' files (`cutover.history.runs`), and of each only a few top-level
members; so the writer puts each top-level member on a line of its own, and the reader finds a member by
its line instead of parsing the whole file. The writer of the document (`cutover.outputs.evidence_json`)
stamps `SCHEMA`, history checks it: one contract, kept in this one place, below both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

#: /3: ``run`` says what kind of run it was (full, subset, what-if, interrupted, prepare, override) and its series,
#: ``to_prove`` what a run that is not proven lacks; the history reader takes /2 files as full runs unless
#: interrupted. /2: the store, each bundle and each pod's evidence are held once (``truststores``, ``bundles``,
#: ``pods``) and records refer to them; ``fix_plan`` and ``sr`` were added. /1 carried them in every record.
SCHEMA = "cutover-evidence/3"
SCHEMA_PREFIX = "cutover-evidence/"


def schema_version(schema: object) -> int | None:
    """``cutover-evidence/3`` -> 3; None for anything that is not ours."""
    if isinstance(schema, str) and (m := re.fullmatch(re.escape(SCHEMA_PREFIX) + r"(\d+)", schema)):
        return int(m[1])
    return None


def dumps(doc: Mapping[str, object]) -> str:
    """The file's text: each top-level member on a line of its own after one space (what `members` finds
    them by), each element of a list or object member on a line of its own after two, and every value
    below that on one line.

    ``json.dumps(indent=1)`` lays a file out the same way to the top two levels, but any indent sends the
    whole document through the json module's Python encoder: 0.13 s of CPU for a 504-pod run's 5.7 MB,
    0.04 s here, where each line is written by the C encoder.
    """
    return "{\n" + ",\n".join(f" {_key(key)}: {_member(value)}" for key, value in doc.items()) + "\n}"


def _key(key: object) -> str:
    """A member's name as the json module writes it (a number or None too, as it converts them)."""
    return json.dumps({key: 0})[1:-4]


def _member(value: object) -> str:
    if isinstance(value, dict) and value:
        return "{\n" + ",\n".join(f"  {_key(k)}: {json.dumps(v)}" for k, v in value.items()) + "\n }"
    if isinstance(value, list | tuple) and value:
        return "[\n" + ",\n".join(f"  {json.dumps(v)}" for v in value) + "\n ]"
    return json.dumps(value)


def laid_out(data: bytes) -> bool:
    """Whether `members` can find members in `data` by their lines (a file `dumps` wrote, whole)."""
    return data.startswith(b'{\n "schema": ') and data.endswith(b"\n}")


def members(data: bytes, keys: Sequence[str]) -> object:
    """The members `keys`, each parsed alone when the file is laid out as `dumps` writes it.

    Reading 90 runs' evidence whole costs about 13 ms a file at 56 pods, over a second a run; decoding
    and parsing these members alone costs a fifth of it. `dumps` (and ``json.dumps(indent=1)``, which
    wrote older files) starts each top-level member on its own line after exactly one space, nested
    members are indented deeper, and a string holds a newline only as an escape, so a newline, one space
    and a quote begin a top-level member and nothing else. A file laid out otherwise, or cut short, is
    parsed whole (and fails there as JSON).
    """
    if not laid_out(data):
        return json.loads(data)
    decoder, doc = json.JSONDecoder(), {}
    for key in keys:
        at = data.find(b'\n "' + key.encode() + b'": ')
        if at >= 0:
            start = at + len(key) + 6
            end = data.find(b'\n "', start)
            value = data[start:end] if end >= 0 else data[start:-2]
            doc[key] = decoder.decode(value.decode("utf-8").rstrip().removesuffix(","))
    return doc


#: How much of a file `head_members` is given: the head of a run's file is its first members, a few KB.
HEAD_BYTES = 64 * 1024


def head_members(prefix: bytes, keys: Sequence[str]) -> dict[str, object] | None:
    """The members `keys` from the first bytes of a file `dumps` wrote, when each one and the start of the member
    after it are there; None otherwise (an older layout, a member written later, a value too long): then the
    caller reads the whole file. Choosing a baseline reads the heads of every file in the folder, and a
    504-pod run's file is 5.7 MB, of which the head is the first few hundred bytes."""
    if not prefix.startswith(b'{\n "schema": '):
        return None
    decoder, doc = json.JSONDecoder(), {}
    for key in keys:
        at = prefix.find(b'\n "' + key.encode() + b'": ')
        end = prefix.find(b'\n "', at + len(key) + 6) if at >= 0 else -1
        if end < 0:
            return None
        doc[key] = decoder.decode(prefix[at + len(key) + 6:end].decode("utf-8").rstrip().removesuffix(","))
    return doc
