"""Proofs (justificatifs): when a file is complete, and which documents a cause calls for.

Both rules are written here once (rules.md "Proofs"): the aggregate, the SLA clocks and the
claims list read `proofs_complete`; the demo, and later the insured's portal, ask `checklist`
for the documents to request.
"""

from __future__ import annotations

from collections.abc import Collection

from domain.values import Document, Guarantee

# Causes whose proof is a death certificate and a civil-status record (seeds 001-003).
DEATH_CAUSES = frozenset({"death"})


def proofs_complete(*, any_requested: bool, outstanding: Collection[str]) -> bool:
    """Every requested document received, and at least one was requested."""
    return any_requested and not outstanding


def checklist(
    *,
    guarantee: str,
    cause_code: str,
    medical: bool,
    no_proof_category: bool = False,
    identity_of_each_insured: bool = False,
    card_insurer_position: bool = False,
) -> list[str]:
    """The documents to request for a claim, in a stable order (rules.md "Proofs"):

    - always, for a cancellation: the organiser's cancellation-fee invoice and the booking form
      (001-003); for CA2624 the ID of every insured person (001), and the card insurer's
      position for a trip over the per-person threshold (001 §1.2.4);
    - a medical cause: the medical certificate (or hospital record); a death: the death
      certificate and the civil-status record; another listed cause: a document proving it;
    - CA2624 category D (reason stated, no proof): the invoices, the bank details and the ID of
      the account holder, and no document about the cause (001 §2.1 D);
    - baggage: the police or carrier report and the carrier's incident forms (002, 003);
    - flight delay: the airline's stamped delay declaration, the ticket and boarding pass
      (002), requested as `other`.
    """
    if guarantee == Guarantee.BAGGAGE:
        documents = [Document.CARRIER_REPORT, Document.POLICE_REPORT]
    elif guarantee == Guarantee.FLIGHT_DELAY:
        documents = [Document.OTHER]
    else:
        documents = [Document.CANCELLATION_INVOICE, Document.BOOKING_FORM]
        if no_proof_category:
            documents += [Document.BANK_DETAILS, Document.IDENTITY_DOCUMENT]
        elif cause_code in DEATH_CAUSES:
            documents += [Document.DEATH_CERTIFICATE, Document.CIVIL_STATUS_RECORD]
        elif medical:
            documents.append(Document.MEDICAL_CERTIFICATE)
        else:
            documents.append(Document.OTHER)
        if identity_of_each_insured and Document.IDENTITY_DOCUMENT not in documents:
            documents.append(Document.IDENTITY_DOCUMENT)
    if card_insurer_position:
        documents.append(Document.CARD_INSURER_POSITION)
    return [d.value for d in documents]
