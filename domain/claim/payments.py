"""Payments of a claim (api.md v2 §1, the rules in `domain/ledger.py`): v1's settlement
shortcut, then each payment's request, approval, issuance, failure or return, cancellation.

Part of the `Claim` aggregate (see `domain/claim/__init__.py` for how parts make one aggregate).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from eventsourcing.domain import Aggregate

from domain.claim.state import ClaimState
from domain.errors import (
    ApprovalRequired,
    ClaimAlreadySettled,
    ClaimNotAccepted,
    InvalidClaimData,
    SettlementModeNotAllowed,
    SettlementOfRefusedClaim,
)
from domain.ledger import (
    ZERO,
    BankDetails,
    Payment,
    PaymentDecision,
    PaymentKind,
    PaymentMode,
    PaymentState,
    check_approval,
    check_cancellation,
    check_failure,
    check_issuance,
    check_payment_request,
    needs_approval,
    reserve_after_failure,
    rest,
)
from domain.validation import not_before, require_code, require_money, require_text
from domain.values import SettlementMode


class PaymentsPart(ClaimState):
    """Payments, and v1's settlement shortcut that records them."""

    # ------------------------------------------------------------------ settlement (v1)

    def settle(
        self,
        *,
        paid_on: date,
        mode: str,
        reference: str,
        by: str,
        authority: Decimal | None = None,
    ) -> str:
        """v1's shortcut: request, approve and issue the final payment of what the current
        acceptance still owes, on `paid_on` (api.md v2 §1). `authority` is the caller's limit
        (None: a caller inside the system); above it the payment needs a manager's approval
        through the payment commands (`approval-required`). Returns the payment's id."""
        self._after_main_track("paid_on", paid_on)
        self._after_money("paid_on", paid_on)
        self._ensure_open()
        if self.decision == "refused":
            raise SettlementOfRefusedClaim(
                f"claim {self.claim_number} was refused", claim_id=self.id
            )
        if self.decision != "accepted" or self.indemnity is None or self.decided_on is None:
            raise ClaimNotAccepted(
                f"claim {self.claim_number} has no accepted indemnity", claim_id=self.id
            )
        if self.settled:
            raise ClaimAlreadySettled(
                f"claim {self.claim_number} is already settled", claim_id=self.id
            )
        code = require_code("mode", mode, SettlementMode)
        if code != self.settlement_mode:
            raise SettlementModeNotAllowed(
                f"this claim is settled by {self.settlement_mode}, as chosen at declaration",
                claim_id=self.id,
            )
        not_before("paid_on", paid_on, "decided_on", self.decided_on)
        self._ensure_no_payment_in_flight()
        amount = max(ZERO, rest(self.indemnity.total, self.payments))
        if needs_approval(PaymentKind.FINAL, amount, authority):
            raise ApprovalRequired(
                f"{amount} is above your authority of {authority}: request the payment and have "
                "a manager approve it",
                claim_id=self.id,
            )
        payment_id = self._next_payment_id()
        self.trigger_event(
            self.PaymentRequested,
            payment_id=payment_id,
            payee=", ".join(person.name for person in self.insured),
            amount=amount,
            kind=PaymentKind.FINAL.value,
            mode=(PaymentMode.VOUCHER if code == "voucher" else PaymentMode.TRANSFER).value,
            requested_on=paid_on,
            iban_masked=None,
            iban_ciphertext=None,
            reason=None,
            approval_required=False,
            by=by,
        )
        self.trigger_event(
            self.PaymentIssued,
            payment_id=payment_id,
            issued_on=paid_on,
            bank_reference=require_text("reference", reference),
            amount=amount,
            kind=PaymentKind.FINAL.value,
            by=by,
        )
        return payment_id

    class PaymentRequested(Aggregate.Event):
        payment_id: str
        payee: str
        amount: Decimal
        kind: str
        mode: str
        requested_on: date
        iban_masked: str | None
        # AES-GCM by the application (never the IBAN in clear): never published nor shown.
        iban_ciphertext: str | None
        reason: str | None
        approval_required: bool
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.requested_on

        def apply(self, aggregate: PaymentsPart) -> None:
            aggregate._payment_requested(
                payment_id=self.payment_id,
                payee=self.payee,
                amount=self.amount,
                kind=self.kind,
                mode=self.mode,
                requested_on=self.requested_on,
                iban_masked=self.iban_masked,
                iban_ciphertext=self.iban_ciphertext,
                reason=self.reason,
                approval_required=self.approval_required,
                by=self.by,
            )

    def request_payment(
        self,
        *,
        payee: str,
        amount: Decimal,
        kind: str,
        mode: str,
        requested_on: date,
        iban_masked: str | None,
        iban_ciphertext: str | None,
        reason: str | None,
        by: str,
        authority: Decimal | None,
    ) -> str:
        """Request a payment; it is approved at once within the requester's `authority` (None:
        a caller inside the system), else pending a manager's approval, as is every
        supplement (api.md v2 §1 rules 2 and 4). The IBAN comes validated, masked and
        encrypted; without one a transfer goes to the claim's bank details. Returns its id."""
        kind_code = require_code("kind", kind, PaymentKind)
        mode_code = require_code("mode", mode, PaymentMode)
        value = require_money("amount", amount, positive=True)
        name = require_text("payee", payee)
        why = require_text("reason", reason) if reason is not None and reason.strip() else None
        if kind_code == PaymentKind.SUPPLEMENT and why is None:
            raise InvalidClaimData("reason", "a supplement needs a reason")
        if (iban_masked is None) != (iban_ciphertext is None):
            raise InvalidClaimData("iban", "give the masked IBAN with its ciphertext")
        if iban_masked is not None and mode_code != PaymentMode.TRANSFER:
            raise InvalidClaimData("iban", "only a transfer goes to an IBAN")
        if mode_code == PaymentMode.TRANSFER and iban_masked is None:
            if self.bank_details is None:
                raise InvalidClaimData("iban", "a transfer needs an IBAN: the claim has none")
            iban_masked = self.bank_details.iban_masked
            iban_ciphertext = self.bank_details.iban_ciphertext
        if iban_masked is not None:
            # A transfer goes to the bank details of its day; new ones replace the earlier.
            not_before("requested_on", requested_on, "the bank details given", self.bank_details_on)
        self._after_declaration("requested_on", requested_on)
        self._after_main_track("requested_on", requested_on)
        self._ensure_open()
        check_payment_request(
            decision=self.decision,
            total=self.indemnity.total if self.indemnity is not None else None,
            payments=self.payments,
            reopenings=self.reopenings,
            settlement_mode=self.settlement_mode,
            kind=kind_code,
            mode=mode_code,
            amount=value,
            claim_id=self.id,
        )
        payment_id = self._next_payment_id()
        self.trigger_event(
            self.PaymentRequested,
            payment_id=payment_id,
            payee=name,
            amount=value,
            kind=kind_code,
            mode=mode_code,
            requested_on=requested_on,
            iban_masked=iban_masked,
            iban_ciphertext=iban_ciphertext,
            reason=why,
            approval_required=needs_approval(kind_code, value, authority),
            by=by,
        )
        return payment_id

    def _payment_requested(
        self,
        *,
        payment_id: str,
        payee: str,
        amount: Decimal,
        kind: str,
        mode: str,
        requested_on: date,
        iban_masked: str | None,
        iban_ciphertext: str | None,
        reason: str | None,
        approval_required: bool,
        by: str,
    ) -> None:
        self._fact(requested_on, "the payment request")
        self.payments.append(
            Payment(
                payment_id=payment_id,
                payee=payee,
                amount=amount,
                kind=kind,
                mode=mode,
                state=(
                    PaymentState.PENDING_APPROVAL if approval_required else PaymentState.APPROVED
                ).value,
                requested_on=requested_on,
                requested_by=by,
                approval_required=approval_required,
                reopenings=self.reopenings,
                iban_masked=iban_masked,
                reason=reason,
            )
        )
        if iban_masked is not None and iban_ciphertext is not None:
            # The bank details are those of the latest transfer (dated in order: see above).
            self.bank_details = BankDetails(payee, iban_masked, iban_ciphertext)
            self.bank_details_on = requested_on

    class PaymentApproved(Aggregate.Event):
        payment_id: str
        decided_on: date
        reason: str
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.decided_on

        def apply(self, aggregate: PaymentsPart) -> None:
            aggregate._payment_approved(
                payment_id=self.payment_id,
                decided_on=self.decided_on,
                reason=self.reason,
                by=self.by,
            )

    class PaymentRejected(Aggregate.Event):
        payment_id: str
        decided_on: date
        reason: str
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.decided_on

        def apply(self, aggregate: PaymentsPart) -> None:
            aggregate._payment_rejected(
                payment_id=self.payment_id,
                decided_on=self.decided_on,
                reason=self.reason,
                by=self.by,
            )

    def decide_payment(
        self,
        *,
        payment_id: str,
        decision: str,
        decided_on: date,
        reason: str,
        by: str,
        authority: Decimal | None,
    ) -> None:
        """A manager other than the requester, whose `authority` covers the amount, approves
        (or rejects) a payment pending approval (api.md v2 §1 rule 4)."""
        payment = self.payment(payment_id)
        code = require_code("decision", decision, PaymentDecision)
        why = require_text("reason", reason)
        not_before("decided_on", decided_on, "the payment's request", payment.last_on)
        check_approval(payment, decision=code, approver=by, authority=authority, claim_id=self.id)
        recorded: type[Aggregate.Event] = (
            self.PaymentApproved if code == PaymentDecision.APPROVE else self.PaymentRejected
        )
        self.trigger_event(
            recorded, payment_id=payment_id, decided_on=decided_on, reason=why, by=by
        )

    def _payment_decided(
        self, payment_id: str, state: PaymentState, decided_on: date, reason: str, by: str
    ) -> None:
        self._fact(decided_on, "the payment's approval")
        self._update_payment(
            replace(
                self.payment(payment_id),
                state=state.value,
                decided_on=decided_on,
                decided_by=by,
                decision_reason=reason,
            )
        )

    def _payment_approved(self, *, payment_id: str, decided_on: date, reason: str, by: str) -> None:
        self._payment_decided(payment_id, PaymentState.APPROVED, decided_on, reason, by)

    def _payment_rejected(self, *, payment_id: str, decided_on: date, reason: str, by: str) -> None:
        self._payment_decided(payment_id, PaymentState.REJECTED, decided_on, reason, by)

    class PaymentIssued(Aggregate.Event):
        payment_id: str
        issued_on: date
        bank_reference: str
        amount: Decimal
        kind: str
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.issued_on

        def apply(self, aggregate: PaymentsPart) -> None:
            aggregate._payment_issued(
                payment_id=self.payment_id,
                issued_on=self.issued_on,
                bank_reference=self.bank_reference,
                amount=self.amount,
                kind=self.kind,
                by=self.by,
            )

    def issue_payment(
        self, *, payment_id: str, issued_on: date, bank_reference: str, by: str
    ) -> None:
        """Issue an approved payment, or issue again one that failed or came back."""
        payment = self.payment(payment_id)
        reference = require_text("bank_reference", bank_reference)
        not_before("issued_on", issued_on, "the payment's last step", payment.last_on)
        self._after_money("issued_on", issued_on)
        self._after_main_track("issued_on", issued_on)
        self._ensure_open()
        check_issuance(
            payment,
            decision=self.decision,
            total=self.indemnity.total if self.indemnity is not None else None,
            payments=self.payments,
            claim_id=self.id,
        )
        self.trigger_event(
            self.PaymentIssued,
            payment_id=payment_id,
            issued_on=issued_on,
            bank_reference=reference,
            amount=payment.amount,
            kind=payment.kind,
            by=by,
        )

    def _payment_issued(
        self,
        *,
        payment_id: str,
        issued_on: date,
        bank_reference: str,
        amount: Decimal,
        kind: str,
        by: str,
    ) -> None:
        payment = replace(
            self.payment(payment_id),
            state=PaymentState.ISSUED.value,
            reopenings=self.reopenings,  # it pays the acceptance of its issuance
            issued_on=issued_on,
            issued_by=by,
            bank_reference=bank_reference,
            failed_on=None,
            failure_reason=None,
        )
        self._update_payment(payment)
        self._issued(payment, issued_on)

    class PaymentFailed(Aggregate.Event):
        payment_id: str
        failed_on: date
        reason: str
        amount: Decimal
        kind: str
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.failed_on

        def apply(self, aggregate: PaymentsPart) -> None:
            aggregate._payment_failed(
                payment_id=self.payment_id,
                failed_on=self.failed_on,
                reason=self.reason,
                amount=self.amount,
                kind=self.kind,
                by=self.by,
            )

    class PaymentReturned(Aggregate.Event):
        """The transfer was made and came back (retour de virement)."""

        payment_id: str
        failed_on: date
        reason: str
        amount: Decimal
        kind: str
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.failed_on

        def apply(self, aggregate: PaymentsPart) -> None:
            aggregate._payment_returned(
                payment_id=self.payment_id,
                failed_on=self.failed_on,
                reason=self.reason,
                amount=self.amount,
                kind=self.kind,
                by=self.by,
            )

    def fail_payment(
        self, *, payment_id: str, failed_on: date, reason: str, returned: bool, by: str
    ) -> None:
        """An issued payment failed, or came back: it is not paid any more, the reserve is
        restored, and a new 15-day payment clock runs (api.md v2 §1 rules 3 and 6). Allowed
        on a closed claim too: the bank says when."""
        payment = self.payment(payment_id)
        why = require_text("reason", reason)
        not_before("failed_on", failed_on, "the payment's issuance", payment.last_on)
        self._after_money("failed_on", failed_on)
        # It undoes what the payment settled: not before a later reopening or closure.
        self._after_decisive_step("failed_on", failed_on)
        check_failure(payment, self.id)
        recorded: type[Aggregate.Event] = self.PaymentReturned if returned else self.PaymentFailed
        self.trigger_event(
            recorded,
            payment_id=payment_id,
            failed_on=failed_on,
            reason=why,
            amount=payment.amount,
            kind=payment.kind,
            by=by,
        )

    def _unpaid(self, payment_id: str, state: PaymentState, failed_on: date, reason: str) -> None:
        payment = self.payment(payment_id)
        self._fact(failed_on, "the payment's failure")
        self._update_payment(
            replace(payment, state=state.value, failed_on=failed_on, failure_reason=reason)
        )
        self._reserve_to(
            reserve_after_failure(self.reserve, payment.amount),
            failed_on,
            "the payment's failure",
        )

    def _payment_failed(
        self, *, payment_id: str, failed_on: date, reason: str, amount: Decimal, kind: str, by: str
    ) -> None:
        self._unpaid(payment_id, PaymentState.FAILED, failed_on, reason)

    def _payment_returned(
        self, *, payment_id: str, failed_on: date, reason: str, amount: Decimal, kind: str, by: str
    ) -> None:
        self._unpaid(payment_id, PaymentState.RETURNED, failed_on, reason)

    class PaymentCancelled(Aggregate.Event):
        payment_id: str
        cancelled_on: date
        reason: str
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.cancelled_on

        def apply(self, aggregate: PaymentsPart) -> None:
            aggregate._payment_cancelled(
                payment_id=self.payment_id,
                cancelled_on=self.cancelled_on,
                reason=self.reason,
                by=self.by,
            )

    def cancel_payment(self, *, payment_id: str, cancelled_on: date, reason: str, by: str) -> None:
        payment = self.payment(payment_id)
        why = require_text("reason", reason)
        not_before("cancelled_on", cancelled_on, "the payment's last step", payment.last_on)
        check_cancellation(payment, self.id)
        self.trigger_event(
            self.PaymentCancelled,
            payment_id=payment_id,
            cancelled_on=cancelled_on,
            reason=why,
            by=by,
        )

    def _payment_cancelled(
        self, *, payment_id: str, cancelled_on: date, reason: str, by: str
    ) -> None:
        self._fact(cancelled_on, "the payment's cancellation")
        self._update_payment(
            replace(
                self.payment(payment_id),
                state=PaymentState.CANCELLED.value,
                cancelled_on=cancelled_on,
                cancelled_by=by,
            )
        )
