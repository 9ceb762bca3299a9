"""The published form of claim events: a versioned JSON envelope, and its JSON Schemas.

The data of each event type is described by a pydantic model generated from the event class
itself, so the published schema cannot drift from what is stored. The same models parse an
envelope back into the domain event (the Kafka projection workers fold those).
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

ENVELOPE_SCHEMA = "claims.event"
ENVELOPE_VERSION = 1
EVENT_DATA_VERSION = 1
_META = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "originator_id_type"}
)
_EVENT_IDS = uuid5(NAMESPACE_URL, "urn:claims-backoffice:events")
REDACTED = "[redacted]"
# Free text that may describe health: replaced in the public envelope when configured.
HEALTH_FIELDS: dict[str, tuple[str, ...]] = {
    "Declared": ("cause.description",),
    "NoteAdded": ("text",),
    "ComplaintOpened": ("summary",),
    "CorrectiveActionRecorded": ("action",),
    "Refused": ("reason",),
    "Reopened": ("reason",),
    # Money (docs/adr/0027): the reasons given for a reserve, a payment and its steps.
    **{
        kind: ("reason",)
        for kind in (
            "ReserveSet",
            "ReserveAdjusted",
            "ReserveReleased",
            "PaymentRequested",
            "PaymentApproved",
            "PaymentRejected",
            "PaymentFailed",
            "PaymentReturned",
            "PaymentCancelled",
            "RecoveryWrittenOff",
        )
    },
}

# Sealed values (an IBAN's ciphertext) are never published, whatever the configuration: the
# masked value beside them is (docs/adr/0027-money-ledger.md).
# The insured's side (ADRs 32, 33): the declarant's sealed contacts, a document's sealed name,
# the bank details' ciphertext and the access code's hash are never published either.
SEALED_FIELDS: dict[str, tuple[str, ...]] = {
    "PaymentRequested": ("iban_ciphertext",),
    "BankDetailsGiven": ("iban_ciphertext",),
    "Declared": ("declarant.name", "declarant.email", "declarant.mobile"),
    "DocumentReceived": ("filename",),
    "AccessCodeIssued": ("code_hash",),
}


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


def _redact(data: dict[str, Any], paths: tuple[str, ...]) -> None:
    for path in paths:
        *parents, leaf = path.split(".")
        target = data
        for parent in parents:
            target = target.get(parent) or {}
        if target.get(leaf) is not None:  # nothing to hide in a reason not given
            target[leaf] = REDACTED


def envelope(event: Any, position: int, *, exclude_health_data: bool = False) -> dict[str, Any]:
    """The JSON-ready envelope of a stored claim event."""
    event_type = type(event).__name__
    model = data_model(event_type)
    data = model.model_validate(
        {name: getattr(event, name) for name in model.model_fields}, from_attributes=True
    ).model_dump(mode="json")
    if exclude_health_data:
        _redact(data, HEALTH_FIELDS.get(event_type, ()))
    for name in SEALED_FIELDS.get(event_type, ()):
        if data.get(name) is not None:
            data[name] = REDACTED
    return {
        "schema": ENVELOPE_SCHEMA,
        "schema_version": ENVELOPE_VERSION,
        "event_id": str(event_id(event.originator_id, event.originator_version)),
        "type": event_type,
        "type_version": EVENT_DATA_VERSION,
        "claim_id": str(event.originator_id),
        "claim_version": event.originator_version,
        "position": position,
        "recorded_at": event.timestamp.isoformat(),
        "actor": getattr(event, "by", ""),
        "data": data,
    }


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode(value: bytes) -> tuple[int, Any]:
    """(position, domain event) from a published message; EnvelopeError if it is not one."""
    try:
        message = json.loads(value)
        if message.get("schema") != ENVELOPE_SCHEMA or message.get("schema_version") != 1:
            raise EnvelopeError("not a claims.event/1 envelope")
        event_type = message["type"]
        if event_type not in event_classes():
            raise EnvelopeError(f"unknown event type {event_type!r}")
        parsed = data_model(event_type).model_validate(message["data"])
        fields = {name: getattr(parsed, name) for name in type(parsed).model_fields}
        metadata: dict[str, Any] = {
            "originator_id": UUID(message["claim_id"]),
            "originator_version": int(message["claim_version"]),
            "timestamp": datetime.fromisoformat(message["recorded_at"]),
        }
        if event_type == "Declared":
            metadata["originator_topic"] = "domain.claim:Claim"
        return int(message["position"]), event_classes()[event_type](**metadata, **fields)
    except EnvelopeError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as exc:
        raise EnvelopeError(f"malformed message: {type(exc).__name__}") from exc


def envelope_json_schema() -> dict[str, Any]:
    """JSON Schema of the envelope, with one `data` schema per event type."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "claims.event/1",
        "type": "object",
        "required": [
            "schema",
            "schema_version",
            "event_id",
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
            "type": {"enum": sorted(event_classes())},
            "type_version": {"type": "integer"},
            "claim_id": {"type": "string", "format": "uuid", "description": "also the key"},
            "claim_version": {
                "type": "integer",
                "minimum": 1,
                "description": "strictly increasing per claim",
            },
            "position": {"type": "integer", "description": "global position in the store"},
            "recorded_at": {"type": "string", "format": "date-time"},
            "actor": {"type": "string"},
            "data": {"description": "see the schema of `type`"},
        },
    }


def published_documents() -> dict[str, str]:
    """Every file of docs/events/ and the AsyncAPI document, by relative path."""
    documents = {
        "events/envelope.schema.json": envelope_json_schema(),
        **{
            f"events/{name}.schema.json": data_model(name).model_json_schema()
            for name in sorted(event_classes())
        },
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
            "version": "1.0.0",
            "description": "Every stored claim event, published by `claims relay` "
            "at least once, in claim order (key = claim id).",
        },
        "channels": {
            "claimsEvents": {
                "address": "claims.events",
                "description": "Topic name set by CLAIMS_KAFKA_TOPIC. Key: the claim id (UTF-8), "
                "so one claim's events are in one partition, in version order.",
                "messages": messages,
            }
        },
        "operations": {
            "publishClaimEvents": {"action": "send", "channel": {"$ref": "#/channels/claimsEvents"}}
        },
    }
    return {
        path: json.dumps(doc, indent=2, sort_keys=True) + "\n" for path, doc in documents.items()
    }
