"""Administration endpoints: the projections' dead letters, and replaying them after a fix.

An event that fails a projection is parked with the claim's later events (docs/adr/0013); the
other claims' views stay current. Auditors and admins list the parked events; an admin replays
a claim's parked events once the cause is fixed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from projections.base import DeadLetter
from projections.runner import ProjectionRunner
from services.http.auth import Principal, Role
from services.http.deps import require
from services.http.problems import COMMAND_RESPONSES, PROBLEM_RESPONSES, HTTPProblem

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
AuditorOrAdmin = Annotated[Principal, Depends(require(Role.AUDITOR))]
AdminOnly = Annotated[Principal, Depends(require())]
RETRY_RESPONSES = {
    **PROBLEM_RESPONSES,
    404: {**COMMAND_RESPONSES[404], "description": "Unknown dead letter"},
}


def get_runner(request: Request) -> ProjectionRunner:
    return cast("ProjectionRunner", request.app.state.runner)


Runner = Annotated[ProjectionRunner, Depends(get_runner)]


class DeadLetterPublic(BaseModel):
    id: str
    projection: str
    claim_id: UUID
    position: int
    claim_version: int
    event_type: str
    error: str
    first_attempt: datetime
    last_attempt: datetime
    attempts: int
    kafka_partition: int | None
    kafka_offset: int | None

    @classmethod
    def of(cls, letter: DeadLetter, projection: str) -> DeadLetterPublic:
        return cls(
            id=letter.id,
            projection=projection,
            claim_id=UUID(letter.claim_id),
            position=letter.position,
            claim_version=letter.claim_version,
            event_type=letter.event_type,
            error=letter.error,
            first_attempt=datetime.fromisoformat(letter.first_attempt),
            last_attempt=datetime.fromisoformat(letter.last_attempt),
            attempts=letter.attempts,
            kafka_partition=letter.topic_partition,
            kafka_offset=letter.kafka_offset,
        )


class DeadLettersPublic(BaseModel):
    items: list[DeadLetterPublic]


class RetryPublic(BaseModel):
    projection: str
    claim_id: UUID
    applied: int
    remaining: list[DeadLetterPublic]


@router.get("/dead-letters", response_model=DeadLettersPublic, responses=PROBLEM_RESPONSES)
def dead_letters(
    runner: Runner,
    _who: AuditorOrAdmin,
    projection: str | None = None,
    claim_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> DeadLettersPublic:
    """Events parked because they fail a projection, by projection, claim and position."""
    names = {engine.tracking_key: engine.projection.name for engine in runner.engines}
    letters = runner.dead_letters(
        projection=projection, claim_id=str(claim_id) if claim_id else None
    )
    return DeadLettersPublic(
        items=[DeadLetterPublic.of(d, names[d.projection]) for d in letters[:limit]]
    )


@router.post(
    "/dead-letters/{dead_letter_id}/retry", response_model=RetryPublic, responses=RETRY_RESPONSES
)
def retry(dead_letter_id: str, runner: Runner, _who: AdminOnly) -> RetryPublic:
    """Replay, in order, every parked event of that dead letter's claim in its projection;
    what still fails stays parked (`remaining`)."""
    replayed = runner.retry(dead_letter_id)
    if replayed is None:
        raise HTTPProblem(
            404,
            "dead-letter-not-found",
            "Dead letter not found",
            f"no dead letter {dead_letter_id}; it may have been retried already",
        )
    return RetryPublic(
        projection=replayed.projection,
        claim_id=UUID(replayed.claim_id),
        applied=replayed.applied,
        remaining=[DeadLetterPublic.of(d, replayed.projection) for d in replayed.remaining],
    )
