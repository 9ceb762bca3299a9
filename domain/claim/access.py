"""The insured's side of a claim: the access code and the bank details the insured gives
(api.md v2 §3; docs/adr/0033-insured-access.md).

Part of the `Claim` aggregate (see `domain/claim/__init__.py` for how parts make one aggregate).
The code itself never reaches the domain: the service layer draws it, hashes it
(domain/access_code.py) and records only the hash; the IBAN comes validated, masked and sealed.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from eventsourcing.domain import Aggregate

from domain.access_code import is_code_hash
from domain.claim.state import ClaimState
from domain.errors import InvalidClaimData
from domain.ledger import BankDetails
from domain.validation import not_before, require_text
from domain.values import Document


class AccessPart(ClaimState):
    """The access code that opens the insured's view, and the insured's bank details."""

    if TYPE_CHECKING:
        access_code_hash: str | None
        access_code_issued_on: date | None

        def receive_proof(self, *, document: str, received_on: date, by: str) -> None: ...

    class AccessCodeIssued(Aggregate.Event):
        issued_on: date
        code_hash: str  # scrypt, salted (domain/access_code.py): never the code
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.issued_on

        def apply(self, aggregate: AccessPart) -> None:
            aggregate._access_code_issued(issued_on=self.issued_on, code_hash=self.code_hash)

    def issue_access_code(self, *, issued_on: date, code_hash: str, by: str) -> None:
        """A new access code for the insured; the one before it (and the sessions opened with
        it) no longer opens anything. Allowed at any time: a closed claim is still followed."""
        if not is_code_hash(code_hash):
            raise InvalidClaimData("code_hash", "not a hash of an access code")
        self._after_declaration("issued_on", issued_on)
        not_before("issued_on", issued_on, "the current access code", self.current_code_on)
        self.trigger_event(self.AccessCodeIssued, issued_on=issued_on, code_hash=code_hash, by=by)

    @property
    def current_code_hash(self) -> str | None:
        return getattr(self, "access_code_hash", None)

    @property
    def current_code_on(self) -> date | None:
        return getattr(self, "access_code_issued_on", None)

    def _access_code_issued(self, *, issued_on: date, code_hash: str) -> None:
        self.access_code_hash = code_hash
        self.access_code_issued_on = issued_on
        self._fact(issued_on, "the access code")

    class BankDetailsGiven(Aggregate.Event):
        holder: str
        iban_masked: str
        # AES-GCM by the application (never the IBAN in clear): never published nor shown.
        iban_ciphertext: str
        given_on: date
        by: str

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.given_on

        def apply(self, aggregate: AccessPart) -> None:
            aggregate._bank_details_given(
                holder=self.holder,
                iban_masked=self.iban_masked,
                iban_ciphertext=self.iban_ciphertext,
                given_on=self.given_on,
            )

    def give_bank_details(
        self, *, holder: str, iban_masked: str, iban_ciphertext: str, given_on: date, by: str
    ) -> None:
        """The insured's bank details (api.md v2 §3 rule 4): the next transfers go there, and
        they are the `bank_details` proof when it was requested. Refused while a payment is
        pending or approved (it would go to the account it was requested for)."""
        name = require_text("holder", holder)
        self._after_declaration("given_on", given_on)
        not_before("given_on", given_on, "the bank details given", self.bank_details_on)
        self._ensure_no_payment_in_flight()
        proof = Document.BANK_DETAILS.value
        receives_proof = proof in self.proofs_outstanding
        if receives_proof:
            # The same checks as any receipt of a proof, before anything is recorded.
            self._after_decisive_step("given_on", given_on)
            self._after_last_request("given_on", given_on)
            self._ensure_open()
            self._ensure_not_assessed()
        self.trigger_event(
            self.BankDetailsGiven,
            holder=name,
            iban_masked=iban_masked,
            iban_ciphertext=iban_ciphertext,
            given_on=given_on,
            by=by,
        )
        if receives_proof:
            self.receive_proof(document=proof, received_on=given_on, by=by)

    def _bank_details_given(
        self, *, holder: str, iban_masked: str, iban_ciphertext: str, given_on: date
    ) -> None:
        self.bank_details = BankDetails(holder, iban_masked, iban_ciphertext)
        self.bank_details_on = given_on
        self._fact(given_on, "the bank details given")
