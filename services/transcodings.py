"""JSON transcodings for every type stored in events and snapshots.

The default transcoder knows UUID, Decimal and datetime only; `date` and the domain's value
objects are registered here. Value objects are stored as their fields, so a stored payload
stays readable JSON.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain import declarant, documents, ledger, values


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class DataclassAsDict(Transcoding):
    """A frozen dataclass as a dict of its fields; JSON lists come back as tuples where the
    field is a tuple."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = cls.__name__
        self._tuple_fields = frozenset(
            f.name for f in dataclasses.fields(cls) if str(f.type).startswith("tuple")
        )

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        kwargs = {
            key: tuple(value) if key in self._tuple_fields and value is not None else value
            for key, value in data.items()
        }
        return self.type(**kwargs)


VALUE_OBJECTS: tuple[type[Any], ...] = (
    values.Insured,
    values.Trip,
    values.Cause,
    values.FeeBracket,
    values.FeeInput,
    values.BaggageItem,
    values.LegDelay,
    values.TicketCost,
    values.AssessmentInputs,
    values.InsuredIndemnity,
    values.Indemnity,
    values.CardInsurerPosition,
    values.Settlement,
    values.CorrectiveAction,
    values.Complaint,
    values.Mediation,
    ledger.BankDetails,
    ledger.Payment,
    ledger.Recovery,
    declarant.Declarant,
    documents.ClaimDocument,
)


def register_domain_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    for cls in VALUE_OBJECTS:
        transcoder.register(DataclassAsDict(cls))
