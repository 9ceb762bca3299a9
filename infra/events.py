"""The published form of claim events: a versioned JSON envelope, and its JSON Schemas.

The data of each event type is described by a pydantic model generated from the event class
itself, so the published schema cannot drift from what is stored; what is published of it is
its public part (`infra/event_privacy.py`: no personal data). The same models parse an
envelope back into the domain event, withheld fields as placeholders (the Kafka projection
workers fold those). `type_version` is the class's `class_version`; older shapes are brought
to the current one by the class's own upcasters (docs/adr/0035-event-versions-and-envelope-v2.md).
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any, get_type_hints
from uuid import NAMESPACE_URL, UUID, uuid5

import eventsourcing.domain
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

import domain.claim
from domain.claim import Claim
from infra.event_privacy import META, public_model, restore

ENVELOPE_SCHEMA = "claims.event"
ENVELOPE_VERSION = 2
AGGREGATE = "claim"
_META = META
_EVENT_IDS = uuid5(NAMESPACE_URL, "urn:claims-backoffice:events")


class EnvelopeError(ValueError):
    """A message that is not a claim event this version understands."""


def event_classes() -> dict[str, type[Any]]:
    """Every claim event type, by name."""
    return {
        name: value
        for name, value in vars(Claim).items()
        if isinstance(value, type)
        and name not in ("Event", "Created")
        and issubclass(value, Claim.Declared | Claim.Event)
    }


@cache
def data_model(event_type: str) -> type[BaseModel]:
    """A pydantic model of one event type's business data (metadata excluded)."""
    cls = event_classes()[event_type]
    hints = get_type_hints(cls, {**vars(eventsourcing.domain), **vars(domain.claim)})
    fields: dict[str, Any] = {
        name: (hint, ...)
        for name, hint in hints.items()
        if name not in _META and not name.startswith("_")
    }
    model: type[BaseModel] = create_model(
        f"{event_type}Data", __config__=ConfigDict(extra="forbid"), **fields
    )
    return model


def event_id(claim_id: UUID, version: int) -> UUID:
    """Deterministic: the same event always has the same id, so consumers can dedupe."""
    return uuid5(_EVENT_IDS, f"{claim_id}:{version}")


def type_version(event_type: str) -> int:
    """The version of an event type's shape: its class's `class_version` (1 if it never
    changed), the one eventsourcing's upcasters bring stored events to."""
    return int(getattr(event_classes()[event_type], "class_version", 1))


def envelope(event: Any, position: int, *, exclude_health_data: bool = True) -> dict[str, Any]:
    """The JSON-ready `claims.event/2` envelope of a stored claim event: ids, codes, amounts,
    dates only (infra/event_privacy.py). `exclude_health_data` is ignored: since version 2
    nothing personal is ever published (the setting is kept so that old configurations load)."""
    del exclude_health_data
    event_type = type(event).__name__
    full = data_model(event_type).model_validate(
        {name: getattr(event, name) for name in data_model(event_type).model_fields},
        from_attributes=True,
    )
    data = public_model(type(event)).model_validate(full.model_dump(mode="json"))
    return {
        "schema": ENVELOPE_SCHEMA,
        "schema_version": ENVELOPE_VERSION,
        "event_id": str(event_id(event.originator_id, event.originator_version)),
        "aggregate": AGGREGATE,
        "type": event_type,
        "type_version": type_version(event_type),
        "claim_id": str(event.originator_id),
        "claim_version": event.originator_version,
        "position": position,
        "recorded_at": event.timestamp.isoformat(),
        "actor": getattr(event, "by", ""),
        "data": data.model_dump(mode="json"),
    }


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _upcast(cls: type[Any], data: dict[str, Any], version: int) -> dict[str, Any]:
    """The event class's own upcasters (`upcast_vX_vY`), from `version` to the current one."""
    current = int(getattr(cls, "class_version", 1))
    if version > current:
        raise EnvelopeError(f"{cls.__name__} version {version} is newer than this code's")
    data = dict(data)
    while version < current:
        getattr(cls, f"upcast_v{version}_v{version + 1}")(data)
        version += 1
    return data


def _data_v2(cls: type[Any], message: dict[str, Any]) -> dict[str, Any]:
    data = _upcast(cls, message["data"], int(message["type_version"]))
    public = public_model(cls).model_validate(data).model_dump(mode="json")
    return restore(cls, public)


def _data_v1(cls: type[Any], message: dict[str, Any]) -> dict[str, Any]:
    """Version 1 published the whole data and always said `type_version` 1, while shapes
    changed: data lacking a field of the current shape is upcast from version 1, the fields
    it has keeping their published values (a channel published before the declarant)."""
    data = message["data"]
    if set(data_model(cls.__name__).model_fields) - set(data):
        data = {**_upcast(cls, data, 1), **data}
    return dict(data)


def decode(value: bytes) -> tuple[int, Any]:
    """(position, domain event) from a published message (`claims.event/2`, or /1 still on a
    topic); EnvelopeError if it is not one. Withheld fields come back as placeholders."""
    try:
        message = json.loads(value)
        version = message.get("schema_version")
        if message.get("schema") != ENVELOPE_SCHEMA or version not in (1, 2):
            raise EnvelopeError("not a claims.event/1 or /2 envelope")
        if version == 2 and message.get("aggregate") != AGGREGATE:
            raise EnvelopeError("not a claim event")
        event_type = message["type"]
        if event_type not in event_classes():
            raise EnvelopeError(f"unknown event type {event_type!r}")
        cls = event_classes()[event_type]
        data = _data_v2(cls, message) if version == 2 else _data_v1(cls, message)
        parsed = data_model(event_type).model_validate(data)
        fields = {name: getattr(parsed, name) for name in type(parsed).model_fields}
        metadata: dict[str, Any] = {
            "originator_id": UUID(message["claim_id"]),
            "originator_version": int(message["claim_version"]),
            "timestamp": datetime.fromisoformat(message["recorded_at"]),
        }
        if event_type == "Declared":
            metadata["originator_topic"] = "domain.claim:Claim"
        return int(message["position"]), cls(**metadata, **fields)
    except EnvelopeError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as exc:
        raise EnvelopeError(f"malformed message: {type(exc).__name__}") from exc


def data_schema(event_type: str) -> dict[str, Any]:
    """JSON Schema of the published data of one event type, at its current version."""
    schema = public_model(event_classes()[event_type]).model_json_schema()
    schema["x-type-version"] = type_version(event_type)
    return schema


def current_schemas() -> dict[str, tuple[int, dict[str, Any]]]:
    """Per event type, its current version and the schema of its published data."""
    return {name: (type_version(name), data_schema(name)) for name in sorted(event_classes())}


def envelope_json_schema() -> dict[str, Any]:
    """JSON Schema of the envelope, with one `data` schema per event type."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "claims.event/2",
        "type": "object",
        "required": [
            "schema",
            "schema_version",
            "event_id",
            "aggregate",
            "type",
            "type_version",
            "claim_id",
            "claim_version",
            "position",
            "recorded_at",
            "actor",
            "data",
        ],
        "properties": {
            "schema": {"const": ENVELOPE_SCHEMA},
            "schema_version": {"const": ENVELOPE_VERSION},
            "event_id": {
                "type": "string",
                "format": "uuid",
                "description": "uuid5 of claim id and version: stable across "
                "re-publication, use it to deduplicate",
            },
            "aggregate": {"const": AGGREGATE, "description": "the aggregate the event is of"},
            "type": {"enum": sorted(event_classes())},
            "type_version": {
                "type": "integer",
                "minimum": 1,
                "description": "version of the type's data shape (its schema: x-type-version); "
                "a change that removes, retypes or requires a field bumps it",
            },
            "claim_id": {"type": "string", "format": "uuid", "description": "also the key"},
            "claim_version": {
                "type": "integer",
                "minimum": 1,
                "description": "strictly increasing per claim",
            },
            "position": {"type": "integer", "description": "global position in the store"},
            "recorded_at": {"type": "string", "format": "date-time"},
            "actor": {"type": "string"},
            "data": {
                "description": "see the schema of `type`: ids, codes, amounts, dates and the "
                "masked IBAN; never names, free text or sealed values"
            },
        },
    }


# What `claims notify` publishes on claims.notifications (infra/notification_kafka.py).
NOTIFICATION_MESSAGE: dict[str, Any] = {
    "name": "NotificationRequested",
    "contentType": "application/json",
    "payload": {
        "type": "object",
        "additionalProperties": False,
        "required": ["notification_id", "claim_id", "template", "channel"],
        "properties": {
            "notification_id": {
                "type": "string",
                "format": "uuid",
                "description": "uuid5 of the trigger, the template, the channel and the "
                "reminder day: the same notification always has the same id",
            },
            "claim_id": {"type": "string", "format": "uuid"},
            "template": {"type": "string"},
            "channel": {"enum": ["email", "sms"]},
        },
    },
}


def published_documents() -> dict[str, str]:
    """Every file of docs/events/ and the AsyncAPI document, by relative path."""
    documents = {
        "events/envelope.schema.json": envelope_json_schema(),
        **{f"events/{name}.schema.json": data_schema(name) for name in sorted(event_classes())},
    }
    messages = {
        name: {
            "name": name,
            "contentType": "application/json",
            "headers": {
                "type": "object",
                "properties": {"type": {"const": name}, "correlation_id": {"type": "string"}},
            },
            "payload": {
                "allOf": [
                    {"$ref": "./events/envelope.schema.json"},
                    {
                        "properties": {
                            "type": {"const": name},
                            "data": {"$ref": f"./events/{name}.schema.json"},
                        }
                    },
                ]
            },
        }
        for name in sorted(event_classes())
    }
    documents["asyncapi.json"] = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Claims back office events",
            "version": "2.0.0",
            "description": "Every stored claim event, published by `claims relay` "
            "at least once, in claim order (key = claim id), without personal data.",
        },
        "channels": {
            "claimsEvents": {
                "address": "claims.events",
                "description": "Topic name set by CLAIMS_KAFKA_TOPIC. Key: the claim id (UTF-8), "
                "so one claim's events are in one partition, in version order.",
                "messages": messages,
            },
            "claimsNotifications": {
                "address": "claims.notifications",
                "description": "Topic name set by CLAIMS_NOTIFICATIONS_TOPIC. Key: the claim id. "
                "A notification requested (docs/adr/0034-notifications.md): ids and codes only; "
                "the sender reads the recipient and the parameters, sealed, from the store.",
                "messages": {"NotificationRequested": NOTIFICATION_MESSAGE},
            },
        },
        "operations": {
            "publishClaimEvents": {
                "action": "send",
                "channel": {"$ref": "#/channels/claimsEvents"},
            },
            "publishNotifications": {
                "action": "send",
                "channel": {"$ref": "#/channels/claimsNotifications"},
            },
        },
    }
    return {
        path: json.dumps(doc, indent=2, sort_keys=True) + "\n" for path, doc in documents.items()
    }
