"""Money commands of `ClaimsApplication` (docs/adr/0027-money-ledger.md, rules.md "Payment").

A mixin over the application's one command path (`_decide`: load, check ownership and the
expected version, decide, save). The domain decides (`Claim` and `domain/ledger.py`); this layer
brings what the domain must not do itself: the IBAN's encryption, with the application's
field cipher. `authority` is the caller's limit (CLAIMS_AUTHORITY_LIMITS for their role);
None for callers inside the system (demo, imports), like a missing `ClaimAccess`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TypeVar, Unpack
from uuid import UUID

from domain.claim import Claim
from domain.iban import mask_iban, normalise_iban
from infra.field_cipher import FieldCipher
from services.commands import CommandOptions, CommandPath

T = TypeVar("T")


class MoneyCommands(CommandPath):
    """Reserve, payments and recoveries; the v1 settlement shortcut."""

    iban_cipher: FieldCipher

    def set_reserve(
        self,
        claim_id: UUID,
        *,
        amount: Decimal,
        set_on: date,
        reason: str,
        by: str,
        authority: Decimal | None = None,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.set_reserve(
                amount=amount, set_on=set_on, reason=reason, by=by, authority=authority
            ),
            **options,
        )

    def request_payment(
        self,
        claim_id: UUID,
        *,
        payee: str,
        amount: Decimal,
        kind: str,
        mode: str,
        requested_on: date,
        iban: str | None,
        reason: str | None,
        by: str,
        authority: Decimal | None = None,
        **options: Unpack[CommandOptions],
    ) -> tuple[Claim, str]:
        """Returns the claim and the new payment's id. The IBAN is validated (422 `iban`),
        then only its mask and its ciphertext go further."""
        masked = sealed = None
        if iban is not None:
            compact = normalise_iban(iban)
            masked, sealed = mask_iban(compact), self.iban_cipher.seal(compact)
        return self._decide(
            claim_id,
            lambda c: c.request_payment(
                payee=payee,
                amount=amount,
                kind=kind,
                mode=mode,
                requested_on=requested_on,
                iban_masked=masked,
                iban_ciphertext=sealed,
                reason=reason,
                by=by,
                authority=authority,
            ),
            **options,
        )

    def decide_payment(
        self,
        claim_id: UUID,
        *,
        payment_id: str,
        decision: str,
        decided_on: date,
        reason: str,
        by: str,
        authority: Decimal | None = None,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.decide_payment(
                payment_id=payment_id,
                decision=decision,
                decided_on=decided_on,
                reason=reason,
                by=by,
                authority=authority,
            ),
            **options,
        )

    def issue_payment(
        self,
        claim_id: UUID,
        *,
        payment_id: str,
        issued_on: date,
        bank_reference: str,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.issue_payment(
                payment_id=payment_id, issued_on=issued_on, bank_reference=bank_reference, by=by
            ),
            **options,
        )

    def fail_payment(
        self,
        claim_id: UUID,
        *,
        payment_id: str,
        failed_on: date,
        reason: str,
        returned: bool = False,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.fail_payment(
                payment_id=payment_id, failed_on=failed_on, reason=reason, returned=returned, by=by
            ),
            **options,
        )

    def cancel_payment(
        self,
        claim_id: UUID,
        *,
        payment_id: str,
        cancelled_on: date,
        reason: str,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.cancel_payment(
                payment_id=payment_id, cancelled_on=cancelled_on, reason=reason, by=by
            ),
            **options,
        )

    def settle(
        self,
        claim_id: UUID,
        *,
        paid_on: date,
        mode: str,
        reference: str,
        by: str,
        authority: Decimal | None = None,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        """v1's settlement: the final payment requested, approved and issued at once."""
        return self._on_claim(
            claim_id,
            lambda c: c.settle(
                paid_on=paid_on, mode=mode, reference=reference, by=by, authority=authority
            ),
            **options,
        )

    def expect_recovery(
        self,
        claim_id: UUID,
        *,
        source: str,
        amount: Decimal,
        expected_on: date,
        subrogation: bool = False,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> tuple[Claim, str]:
        """Returns the claim and the new recovery's id."""
        return self._decide(
            claim_id,
            lambda c: c.expect_recovery(
                source=source,
                amount=amount,
                expected_on=expected_on,
                subrogation=subrogation,
                by=by,
            ),
            **options,
        )

    def receive_recovery(
        self,
        claim_id: UUID,
        *,
        recovery_id: str,
        received_on: date,
        amount: Decimal,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.receive_recovery(
                recovery_id=recovery_id, received_on=received_on, amount=amount, by=by
            ),
            **options,
        )

    def write_off_recovery(
        self,
        claim_id: UUID,
        *,
        recovery_id: str,
        written_off_on: date,
        reason: str,
        by: str,
        **options: Unpack[CommandOptions],
    ) -> Claim:
        return self._on_claim(
            claim_id,
            lambda c: c.write_off_recovery(
                recovery_id=recovery_id, written_off_on=written_off_on, reason=reason, by=by
            ),
            **options,
        )
