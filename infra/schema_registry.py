"""The registry of published event schemas, and the compatibility rule that guards it.

`docs/events/registry.json` keeps, per event type and `type_version`, the JSON Schema of the
data as it was first published in `claims.event/2` (docs/adr/0035). `claims schemas` adds the
current version of each type; an entry already there may only gain optional fields. A change
that removes a field, changes its type, or makes a field required that was not (a new required
field included) needs a new version: bump the event class's `class_version` and write its
`upcast_vX_vY`. `tests/kafka/test_schema_registry.py` fails otherwise.
"""

from __future__ import annotations

import json
from typing import Any

REGISTRY_PATH = "events/registry.json"
_KEYWORDS_OF_TYPE = ("type", "format", "const")


class IncompatibleSchemaError(ValueError):
    """A published (type, version) whose current schema breaks its consumers."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 50:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        schema = {**defs.get(name, {}), **{k: v for k, v in schema.items() if k != "$ref"}}
        seen += 1
    return schema


def _kind(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    resolved = _resolve(schema, defs)
    if "anyOf" in resolved:
        return "anyOf(" + ",".join(sorted(_kind(s, defs) for s in resolved["anyOf"])) + ")"
    return json.dumps([resolved.get(k) for k in _KEYWORDS_OF_TYPE])


class _Comparison:
    def __init__(self, old_defs: dict[str, Any], new_defs: dict[str, Any]) -> None:
        self.old_defs, self.new_defs = old_defs, new_defs
        self.problems: list[str] = []

    def schema(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old, new = _resolve(old, self.old_defs), _resolve(new, self.new_defs)
        if "anyOf" in old or "anyOf" in new:
            self._branches(old.get("anyOf", [old]), new.get("anyOf", [new]), path)
            return
        if _kind(old, self.old_defs) != _kind(new, self.new_defs):
            self.problems.append(f"{path}: retyped")
            return
        if old.get("type") == "object":
            self._object(old, new, path)
        elif old.get("type") == "array" and "items" in old and "items" in new:
            self.schema(old["items"], new["items"], f"{path}[]")

    def _branches(self, old: list[Any], new: list[Any], path: str) -> None:
        old_kinds = sorted(old, key=lambda s: _kind(s, self.old_defs))
        new_kinds = sorted(new, key=lambda s: _kind(s, self.new_defs))
        if [_kind(s, self.old_defs) for s in old_kinds] != [
            _kind(s, self.new_defs) for s in new_kinds
        ]:
            self.problems.append(f"{path}: retyped")
            return
        for before, after in zip(old_kinds, new_kinds, strict=True):
            self.schema(before, after, path)

    def _object(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        before, after = old.get("properties", {}), new.get("properties", {})
        prefix = f"{path}." if path else ""
        for name, schema in before.items():
            if name not in after:
                self.problems.append(f"{prefix}{name}: removed")
            else:
                self.schema(schema, after[name], f"{prefix}{name}")
        required_before, required_after = set(old.get("required", ())), set(new.get("required", ()))
        for name in sorted(required_after - required_before):
            self.problems.append(f"{prefix}{name}: made required")
        for name in sorted((required_before - required_after) & set(after)):
            self.problems.append(f"{prefix}{name}: made optional")


def compatibility_problems(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What a consumer of `old` would find broken in `new` (empty: compatible). Adding an
    optional field, a description or a default is fine; removing a field, changing its type
    (nullable or not included), requiring a field that was not required, or no longer
    requiring one that was, is not."""
    comparison = _Comparison(old.get("$defs", {}), new.get("$defs", {}))
    comparison.schema(old, new, "")
    return comparison.problems


def merge(
    registry: dict[str, Any], current: dict[str, tuple[int, dict[str, Any]]]
) -> dict[str, Any]:
    """The registry with the current (version, schema) of each type recorded. An entry already
    there is replaced only by a compatible schema (optional fields added); otherwise
    IncompatibleSchemaError names every problem."""
    types: dict[str, dict[str, Any]] = {
        name: dict(versions) for name, versions in registry.get("types", {}).items()
    }
    problems: list[str] = []
    for name, (version, schema) in sorted(current.items()):
        published = types.setdefault(name, {})
        old = published.get(str(version))
        if old is not None:
            found = compatibility_problems(old, schema)
            if found:
                problems += [
                    f"{name} v{version} {problem} (a published version: bump class_version "
                    "and add an upcaster)"
                    for problem in found
                ]
                continue
        published[str(version)] = schema
    if problems:
        raise IncompatibleSchemaError(problems)
    return {
        "description": "Published data schemas of claims.event/2, per event type and "
        "type_version. Written by `claims schemas`; an entry may only gain optional fields "
        "(docs/adr/0035-event-versions-and-envelope-v2.md).",
        "types": {
            name: dict(sorted(versions.items(), key=lambda item: int(item[0])))
            for name, versions in sorted(types.items())
        },
    }


def dumps(registry: dict[str, Any]) -> str:
    return json.dumps(registry, indent=2, sort_keys=True) + "\n"
