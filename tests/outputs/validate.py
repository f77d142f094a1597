"""Validation of JSON evidence against the shipped schema, for every test that has a document at hand."""

from __future__ import annotations

import functools
from typing import Any

import jsonschema

from cutover.outputs.evidence_json import json_schema


@functools.cache
def validator() -> jsonschema.Draft202012Validator:
    """One validator for the session: the schema is read and checked once."""
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def errors(doc: Any) -> list[str]:
    """Every way `doc` breaks the schema, each as ``path: message``."""
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in validator().iter_errors(doc)]


def assert_valid(doc: Any, what: str = "evidence") -> None:
    __tracebackhide__ = True
    found = errors(doc)
    assert not found, f"{what} breaks cutover-evidence.schema.json:\n" + "\n".join(found[:20])
