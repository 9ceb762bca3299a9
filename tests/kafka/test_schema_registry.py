"""The published-schema registry (docs/events/registry.json) guards claims.event/2's consumers:
a published (event type, version) may only gain optional fields (docs/adr/0035)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from infra import schema_registry
from infra.events import current_schemas, event_classes
from infra.schema_registry import IncompatibleSchemaError, compatibility_problems, merge
from services.cli import main

REGISTRY = Path(__file__).resolve().parents[2] / "docs" / schema_registry.REGISTRY_PATH


def _committed() -> dict[str, Any]:
    registry: dict[str, Any] = json.loads(REGISTRY.read_text(encoding="utf-8"))
    return registry


def test_every_current_schema_is_compatible_with_its_published_version() -> None:
    """Fails when an event's published data loses, retypes or newly requires a field without
    a new class_version (then: bump it, write the upcaster, run `claims schemas`)."""
    committed = _committed()
    problems = []
    for name, (version, schema) in current_schemas().items():
        published = committed["types"].get(name, {}).get(str(version))
        if published is not None:
            problems += [
                f"{name} v{version}: {p}" for p in compatibility_problems(published, schema)
            ]
    assert not problems


def test_the_committed_registry_is_up_to_date() -> None:
    committed = _committed()
    assert merge(committed, current_schemas()) == committed, "run `claims schemas`"
    assert set(committed["types"]) == set(event_classes())


def test_published_versions_are_kept_when_a_type_moves_on() -> None:
    committed = _committed()
    name, (version, schema) = next(iter(current_schemas().items()))
    moved_on = merge(committed, {name: (version + 1, {**schema, "x-type-version": version + 1})})
    assert set(moved_on["types"][name]) == {*committed["types"][name], str(version + 1)}
    assert moved_on["types"][name][str(version)] == committed["types"][name][str(version)]


# The checker itself, on synthetic schemas shaped like pydantic's.

BASE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "claim_number": {"type": "string"},
        "amount": {"anyOf": [{"type": "number"}, {"type": "string"}]},
        "on": {"type": "string", "format": "date"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "cause": {"$ref": "#/$defs/Cause"},
        "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
    },
    "required": ["claim_number", "amount", "on", "cause", "items"],
    "$defs": {
        "Cause": {
            "type": "object",
            "properties": {"code": {"type": "string"}},
            "required": ["code"],
        },
        "Item": {
            "type": "object",
            "properties": {"count": {"type": "integer"}},
            "required": ["count"],
        },
    },
}


def _changed(change: Any) -> dict[str, Any]:
    schema = copy.deepcopy(BASE)
    change(schema)
    return schema


def test_the_same_schema_and_added_optional_fields_are_compatible() -> None:
    assert compatibility_problems(BASE, copy.deepcopy(BASE)) == []

    def add_optional(s: dict[str, Any]) -> None:
        s["properties"]["channel"] = {"type": "string", "default": "online"}
        s["$defs"]["Cause"]["properties"]["label"] = {"type": "string"}
        s["properties"]["on"]["description"] = "the day"

    assert compatibility_problems(BASE, _changed(add_optional)) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda s: s["properties"].pop("claim_number"), "claim_number: removed"),
        (lambda s: s["properties"]["on"].update(format="date-time"), "on: retyped"),
        (lambda s: s["properties"].update(amount={"type": "number"}), "amount: retyped"),
        (lambda s: s["properties"].update(note={"type": "string"}), "note: retyped"),
        (lambda s: s["required"].append("note"), "note: made required"),
        (lambda s: s["required"].remove("on"), "on: made optional"),
        (
            lambda s: (
                s["properties"].update(channel={"type": "string"}),
                s["required"].append("channel"),
            ),
            "channel: made required",
        ),
        (lambda s: s["$defs"]["Cause"]["properties"].pop("code"), "cause.code: removed"),
        (
            lambda s: s["$defs"]["Item"]["properties"].update(count={"type": "string"}),
            "items[].count: retyped",
        ),
        (
            lambda s: s["properties"].update(cause={"type": "string"}),
            "cause: retyped",
        ),
    ],
)
def test_breaking_changes_are_found(change: Any, problem: str) -> None:
    assert compatibility_problems(BASE, _changed(change)) == [problem]


def test_merge_refuses_a_breaking_change_at_a_published_version() -> None:
    registry = merge({}, {"Declared": (2, BASE)})
    assert registry["types"]["Declared"]["2"] == BASE
    broken = _changed(lambda s: s["properties"].pop("on"))
    with pytest.raises(IncompatibleSchemaError) as caught:
        merge(registry, {"Declared": (2, broken)})
    assert caught.value.problems == [
        "Declared v2 on: removed (a published version: bump class_version and add an upcaster)"
    ]
    bumped = merge(registry, {"Declared": (3, broken)})  # the same change with a version bump
    assert bumped["types"]["Declared"] == {"2": BASE, "3": broken}
    widened = _changed(lambda s: s["properties"].update(extra={"type": "integer"}))
    assert merge(registry, {"Declared": (2, widened)})["types"]["Declared"]["2"] == widened


def test_claims_schemas_refuses_to_rewrite_a_published_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMS_DATABASE_URL", f"sqlite:///{tmp_path / 'claims.db'}")
    published = _committed()
    ghost = published["types"]["NoteAdded"]["1"]
    ghost["properties"]["ghost"] = {"type": "string"}  # as if once published, now gone
    target = tmp_path / "docs" / schema_registry.REGISTRY_PATH
    target.parent.mkdir(parents=True)
    target.write_text(schema_registry.dumps(published), encoding="utf-8")
    assert main(["schemas", "--output", str(tmp_path / "docs")]) == 1
    assert "NoteAdded v1 ghost: removed" in capsys.readouterr().err
    assert not (tmp_path / "docs" / "asyncapi.json").exists()  # nothing written
    del ghost["properties"]["ghost"]
    target.write_text(schema_registry.dumps(published), encoding="utf-8")
    assert main(["schemas", "--output", str(tmp_path / "docs")]) == 0
    assert target.read_text(encoding="utf-8") == REGISTRY.read_text(encoding="utf-8")
