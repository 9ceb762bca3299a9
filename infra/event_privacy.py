"""What of a claim event may leave the store: the public shape of the `claims.event/2` data.

Published envelopes carry ids, codes, amounts, dates and the masked IBAN, never personal data,
whatever the settings (docs/adr/0035-event-versions-and-envelope-v2.md). The rule is an
allow-list of text: every field that holds text (`str`, a list of `str`, `str | None`), at any
depth (the declaration's insured persons, the indemnity's lines), is published only if it is
listed in `PUBLIC_TEXT` under its owner (the event type, or the value class that holds it).
Anything else is withheld: a name, a note, a reason, the cause's description, and whatever
text field a new event brings until someone lists it here. Numbers, dates, booleans and
nested values are published (their own text fields judged the same way), except the few listed
in `WITHHELD` (the medical flag).

`WITHHELD` lists the text fields known to be personal, for the reader and for the test that
checks every text field is classified one way or the other. A consumer (the Kafka projection
workers) gets the event back with every withheld field set to a placeholder: `[redacted]`
for text, `None` for optional text, empty for lists, false for a flag; read models never use
those fields (tests/kafka check the views folded from Kafka equal those folded from the store).
"""

from __future__ import annotations

import dataclasses
import types
from functools import cache
from typing import Any, Union, get_args, get_origin, get_type_hints

import eventsourcing.domain
from pydantic import BaseModel, ConfigDict, create_model

import domain.claim
import domain.values

REDACTED = "[redacted]"
META = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "originator_id_type"}
)
_EVERY_EVENT = frozenset({"by"})  # the actor: a staff id, or a portal/insured id

# Text published: codes and ids only, by owner (an event type or a value class).
PUBLIC_TEXT: dict[str, frozenset[str]] = {
    "Declared": frozenset(
        {
            "claim_number",
            "contract",
            "subscription_number",
            "guarantee",
            "settlement_mode",
            "flags",
            "channel",
        }
    ),
    "Cause": frozenset({"category", "code"}),
    "Indemnity": frozenset({"currency"}),
    "HandlerAssigned": frozenset({"handler"}),
    "ProofsRequested": frozenset({"documents"}),
    "ProofReceived": frozenset({"document"}),
    "CardInsurerPositionReceived": frozenset({"decision"}),
    "PrescriptionInterrupted": frozenset({"act"}),
    "Settled": frozenset({"mode"}),
    "PaymentRequested": frozenset({"payment_id", "kind", "mode", "iban_masked"}),
    "PaymentApproved": frozenset({"payment_id"}),
    "PaymentRejected": frozenset({"payment_id"}),
    "PaymentIssued": frozenset({"payment_id", "kind"}),
    "PaymentFailed": frozenset({"payment_id", "kind"}),
    "PaymentReturned": frozenset({"payment_id", "kind"}),
    "PaymentCancelled": frozenset({"payment_id"}),
    "RecoveryExpected": frozenset({"recovery_id", "source"}),
    "RecoveryReceived": frozenset({"recovery_id"}),
    "RecoveryWrittenOff": frozenset({"recovery_id"}),
    "ComplaintOpened": frozenset({"complaint_id", "channel", "motive", "root_cause"}),
    "ComplaintAcknowledged": frozenset({"complaint_id"}),
    "ComplaintAnswered": frozenset({"complaint_id", "outcome"}),
    "ComplaintEscalated": frozenset({"complaint_id"}),
    "ComplaintQualified": frozenset({"complaint_id", "motive", "root_cause"}),
    "CorrectiveActionRecorded": frozenset({"complaint_id", "action_id"}),
    "CorrectiveActionCompleted": frozenset({"complaint_id", "action_id"}),
    "MediationConcluded": frozenset({"outcome"}),
    # The insured's side and documents (docs/adr/0032, 0033): ids, codes, digests, types.
    "BankDetailsGiven": frozenset({"iban_masked"}),
    "DocumentReceived": frozenset({"document_id", "proof_code", "sha256", "mime"}),
    "DocumentRejected": frozenset({"document_id"}),
    # Erasure (docs/adr/0037): subject ids, the day and the basis; never a name.
    "PersonalDataErased": frozenset({"basis"}),
}

_REASON = frozenset({"reason"})
# Known to be personal: names, free text that may describe health, references typed by hand,
# sealed values (text withheld anyway by the allow-list; listed so that nothing is unjudged),
# and the declaration's medical flag (kept out of the read models too: docs/adr/0021).
WITHHELD: dict[str, frozenset[str]] = {
    "Declared": frozenset({"medical_cause"}),
    "Insured": frozenset({"name"}),
    "Cause": frozenset({"description"}),
    "Trip": frozenset({"destination"}),
    "Indemnity": frozenset({"trace"}),
    "InsuredIndemnity": frozenset({"insured"}),
    "FeeInput": frozenset({"insured"}),
    "BaggageItem": frozenset({"insured"}),
    "LegDelay": frozenset({"insured"}),
    "TicketCost": frozenset({"insured"}),
    "NoteAdded": frozenset({"text"}),
    "ComplaintOpened": frozenset({"summary"}),
    "CorrectiveActionRecorded": frozenset({"action", "owner"}),
    "Refused": _REASON,
    "Reopened": _REASON,
    "Settled": frozenset({"reference"}),
    "PaymentRequested": frozenset({"payee", "iban_ciphertext", "reason"}),
    "PaymentIssued": frozenset({"bank_reference"}),
    # The declarant's sealed name and contacts, a document's sealed name, the insured's
    # sealed IBAN and its holder, an access code's hash (docs/adr/0032, 0033).
    "Declarant": frozenset({"name", "email", "mobile"}),
    "DocumentReceived": frozenset({"filename"}),
    "DocumentRejected": _REASON,
    "BankDetailsGiven": frozenset({"holder", "iban_ciphertext"}),
    "AccessCodeIssued": frozenset({"code_hash"}),
    **{
        kind: _REASON
        for kind in (
            "ReserveSet",
            "ReserveAdjusted",
            "ReserveReleased",
            "PaymentApproved",
            "PaymentRejected",
            "PaymentFailed",
            "PaymentReturned",
            "PaymentCancelled",
            "RecoveryWrittenOff",
        )
    },
}


def _namespace() -> dict[str, Any]:
    return {**vars(eventsourcing.domain), **vars(domain.values), **vars(domain.claim)}


def owner_fields(owner: type[Any]) -> dict[str, Any]:
    """The business fields of an event class or a value class, with their types."""
    hints = get_type_hints(owner, _namespace())
    return {
        name: hint for name, hint in hints.items() if name not in META and not name.startswith("_")
    }


def is_text(hint: Any) -> bool:
    """Whether a field's type holds text directly (not through a nested value class)."""
    if hint is str:
        return True
    return any(is_text(arg) for arg in get_args(hint) if arg is not Ellipsis)


def is_public(owner: str, name: str, hint: Any) -> bool:
    if name in WITHHELD.get(owner, frozenset()):
        return False
    if not is_text(hint):
        return True
    return name in _EVERY_EVENT or name in PUBLIC_TEXT.get(owner, frozenset())


def _rebuild(hint: Any, args: tuple[Any, ...]) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return Union[args]  # noqa: UP007 (built from a tuple at run time)
    if origin is tuple:
        return tuple[args]  # type: ignore[valid-type]
    return origin[args]


def _public_type(hint: Any) -> Any:
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _public_value_model(hint)
    args = get_args(hint)
    if not args:
        return hint
    return _rebuild(hint, tuple(a if a is Ellipsis else _public_type(a) for a in args))


@cache
def _public_value_model(value_class: type[Any]) -> type[BaseModel]:
    defaults = {
        f.name: f.default
        for f in dataclasses.fields(value_class)
        if f.default is not dataclasses.MISSING
    }
    fields: dict[str, Any] = {
        name: (_public_type(hint), defaults.get(name, ...))
        for name, hint in owner_fields(value_class).items()
        if is_public(value_class.__name__, name, hint)
    }
    model: type[BaseModel] = create_model(
        f"Public{value_class.__name__}", __config__=ConfigDict(extra="ignore"), **fields
    )
    return model


_PUBLIC_MODELS: dict[type[Any], type[BaseModel]] = {}


def public_model(event_class: type[Any]) -> type[BaseModel]:
    """The published data of one event type: its public fields, nested values pruned alike.
    Unknown fields are ignored on reading (a tolerant reader: a version may gain optional
    fields)."""
    if event_class not in _PUBLIC_MODELS:
        _PUBLIC_MODELS[event_class] = _build_public_model(event_class)
    return _PUBLIC_MODELS[event_class]


def _build_public_model(event_class: type[Any]) -> type[BaseModel]:
    name = event_class.__name__
    fields: dict[str, Any] = {
        field: (_public_type(hint), ...)
        for field, hint in owner_fields(event_class).items()
        if is_public(name, field, hint)
    }
    model: type[BaseModel] = create_model(
        f"{name}Data", __config__=ConfigDict(extra="ignore"), **fields
    )
    return model


def _placeholder(hint: Any) -> Any:
    if hint is str:
        return REDACTED
    if hint is bool:
        return False
    args = get_args(hint)
    if type(None) in args:
        return None
    return []


def _restore_value(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    if dataclasses.is_dataclass(hint) and isinstance(hint, type) and isinstance(value, dict):
        return _restore_fields(hint.__name__, owner_fields(hint), value)
    origin = get_origin(hint)
    args = [a for a in get_args(hint) if a is not Ellipsis and a is not type(None)]
    if origin in (list, tuple) and isinstance(value, list) and args:
        return [_restore_value(args[0], item) for item in value]
    if origin in (Union, types.UnionType) and len(args) == 1:
        return _restore_value(args[0], value)
    return value


def _restore_fields(owner: str, hints: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    restored = {}
    for name, hint in hints.items():
        if not is_public(owner, name, hint):
            restored[name] = _placeholder(hint)
        elif name in data:
            restored[name] = _restore_value(hint, data[name])
    return restored


def restore(event_class: type[Any], data: dict[str, Any]) -> dict[str, Any]:
    """Published data back to the event's full shape, withheld fields as placeholders."""
    return _restore_fields(event_class.__name__, owner_fields(event_class), data)


def text_fields(event_class: type[Any]) -> set[tuple[str, str]]:
    """Every (owner, field) holding text that this event type carries, at any depth."""
    found: set[tuple[str, str]] = set()

    def walk(owner: str, hints: dict[str, Any]) -> None:
        for name, hint in hints.items():
            if is_text(hint):
                found.add((owner, name))
            for value_class in _value_classes(hint):
                walk(value_class.__name__, owner_fields(value_class))

    walk(event_class.__name__, owner_fields(event_class))
    return found


def _value_classes(hint: Any) -> list[type[Any]]:
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return [hint]
    return [c for arg in get_args(hint) if arg is not Ellipsis for c in _value_classes(arg)]
