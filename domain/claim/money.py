"""The reserve set by hand, recoveries, and round 1's settlements folded as payments.

Part of the `Claim` aggregate (see `domain/claim/__init__.py` for how parts make one aggregate).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from eventsourcing.domain import Aggregate

from domain.claim.state import ClaimState
from domain.ledger import (
    ZERO,
    Payment,
    PaymentKind,
    PaymentMode,
    PaymentState,
    Recovery,
    RecoverySource,
    RecoveryState,
    check_expected,
    check_receipt,
    check_recovery,
    check_reserve,
)
from domain.validation import not_before, require_code, require_money, require_text
from domain.values import Insured, Settlement


class MoneyPart(ClaimState):
    """The reserve by hand, recoveries, round 1's settlements."""

    class Settled(Aggregate.Event):
        """Round 1's payment (v1 `POST …/settlement` before the money ledger). No longer
        recorded; stored ones fold as an issued final payment (docs/adr/0027-money-ledger.md)."""

        paid_on: date
        mode: str
        reference: str
        amount: Decimal
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.paid_on

        def apply(self, aggregate: MoneyPart) -> None:
            aggregate._settled(
                paid_on=self.paid_on,
                mode=self.mode,
                reference=self.reference,
                amount=self.amount,
                by=self.by,
            )

    def _settled(
        self, *, paid_on: date, mode: str, reference: str, amount: Decimal, by: str
    ) -> None:
        payment = _legacy_payment(
            self._next_payment_id(),
            Settlement(paid_on=paid_on, mode=mode, reference=reference, amount=amount),
            self.reopenings,
            self.insured,
            by,
        )
        self.payments.append(payment)
        self._issued(payment, paid_on)

    class ReserveSet(Aggregate.Event):
        amount: Decimal
        previous: Decimal
        set_on: date
        reason: str
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.set_on

        def apply(self, aggregate: MoneyPart) -> None:
            aggregate._reserve_set(
                amount=self.amount,
                previous=self.previous,
                set_on=self.set_on,
                reason=self.reason,
                by=self.by,
            )

    class ReserveAdjusted(Aggregate.Event):
        amount: Decimal
        previous: Decimal
        set_on: date
        reason: str
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.set_on

        def apply(self, aggregate: MoneyPart) -> None:
            aggregate._reserve_adjusted(
                amount=self.amount,
                previous=self.previous,
                set_on=self.set_on,
                reason=self.reason,
                by=self.by,
            )

    class ReserveReleased(Aggregate.Event):
        amount: Decimal
        previous: Decimal
        set_on: date
        reason: str
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.set_on

        def apply(self, aggregate: MoneyPart) -> None:
            aggregate._reserve_released(
                amount=self.amount,
                previous=self.previous,
                set_on=self.set_on,
                reason=self.reason,
                by=self.by,
            )

    def set_reserve(
        self, *, amount: Decimal, set_on: date, reason: str, by: str, authority: Decimal | None
    ) -> None:
        """The claim's reserve (provision pour sinistres à payer), set by hand: a first one is
        set, a change adjusts it, 0.00 releases it. `authority`: the caller's limit."""
        value = require_money("amount", amount)
        why = require_text("reason", reason)
        self._after_declaration("set_on", set_on)
        self._after_money("set_on", set_on)
        self._ensure_open()
        check_reserve(value, authority, self.id)
        if value == ZERO:
            recorded: type[Aggregate.Event] = self.ReserveReleased
        elif self.reserve == ZERO:
            recorded = self.ReserveSet
        else:
            recorded = self.ReserveAdjusted
        self.trigger_event(
            recorded, amount=value, previous=self.reserve, set_on=set_on, reason=why, by=by
        )

    def _reserve_changed(self, amount: Decimal, set_on: date) -> None:
        self._fact(set_on, "the reserve")
        self._reserve_to(amount, set_on, "the reserve")

    def _reserve_set(
        self, *, amount: Decimal, previous: Decimal, set_on: date, reason: str, by: str
    ) -> None:
        self._reserve_changed(amount, set_on)

    def _reserve_adjusted(
        self, *, amount: Decimal, previous: Decimal, set_on: date, reason: str, by: str
    ) -> None:
        self._reserve_changed(amount, set_on)

    def _reserve_released(
        self, *, amount: Decimal, previous: Decimal, set_on: date, reason: str, by: str
    ) -> None:
        self._reserve_changed(amount, set_on)

    class RecoveryExpected(Aggregate.Event):
        recovery_id: str
        source: str
        amount: Decimal
        expected_on: date
        subrogation: bool
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.expected_on

        def apply(self, aggregate: MoneyPart) -> None:
            aggregate._recovery_expected(
                recovery_id=self.recovery_id,
                source=self.source,
                amount=self.amount,
                expected_on=self.expected_on,
                subrogation=self.subrogation,
                by=self.by,
            )

    def expect_recovery(
        self, *, source: str, amount: Decimal, expected_on: date, subrogation: bool, by: str
    ) -> str:
        """Money expected back from a card insurer, a carrier, a third party or another
        insurer, after a payment (closed claims too). Returns its id."""
        code = require_code("source", source, RecoverySource)
        value = require_money("amount", amount, positive=True)
        self._after_declaration("expected_on", expected_on)
        issued = [p.issued_on for p in self.payments if p.issued_on is not None]
        not_before("expected_on", expected_on, "the first payment", min(issued, default=None))
        check_recovery(
            payments=self.payments, recoveries=self.recoveries, amount=value, claim_id=self.id
        )
        recovery_id = f"{self.claim_number}-RC{len(self.recoveries) + 1}"
        self.trigger_event(
            self.RecoveryExpected,
            recovery_id=recovery_id,
            source=code,
            amount=value,
            expected_on=expected_on,
            subrogation=subrogation,
            by=by,
        )
        return recovery_id

    def _recovery_expected(
        self,
        *,
        recovery_id: str,
        source: str,
        amount: Decimal,
        expected_on: date,
        subrogation: bool,
        by: str,
    ) -> None:
        self._fact(expected_on, "the recovery")
        self.recoveries.append(
            Recovery(
                recovery_id=recovery_id,
                source=source,
                amount=amount,
                expected_on=expected_on,
                subrogation=subrogation,
                state=RecoveryState.EXPECTED.value,
                expected_by=by,
            )
        )

    class RecoveryReceived(Aggregate.Event):
        recovery_id: str
        received_on: date
        amount: Decimal
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.received_on

        def apply(self, aggregate: MoneyPart) -> None:
            aggregate._recovery_received(
                recovery_id=self.recovery_id,
                received_on=self.received_on,
                amount=self.amount,
                by=self.by,
            )

    def receive_recovery(
        self, *, recovery_id: str, received_on: date, amount: Decimal, by: str
    ) -> None:
        recovery = self.recovery(recovery_id)
        value = require_money("amount", amount, positive=True)
        not_before("received_on", received_on, "the recovery's expected_on", recovery.expected_on)
        check_receipt(
            recovery,
            amount=value,
            payments=self.payments,
            recoveries=self.recoveries,
            claim_id=self.id,
        )
        self.trigger_event(
            self.RecoveryReceived,
            recovery_id=recovery_id,
            received_on=received_on,
            amount=value,
            by=by,
        )

    def _recovery_received(
        self, *, recovery_id: str, received_on: date, amount: Decimal, by: str
    ) -> None:
        self._fact(received_on, "the recovery's receipt")
        self._update_recovery(
            replace(
                self.recovery(recovery_id),
                state=RecoveryState.RECEIVED.value,
                received_on=received_on,
                received_amount=amount,
                closed_by=by,
            )
        )

    class RecoveryWrittenOff(Aggregate.Event):
        recovery_id: str
        written_off_on: date
        reason: str
        by: str

        class_version = 1

        def business_date(self) -> date:
            """The day it happened (rules.md "Business dates follow cause and effect")."""
            return self.written_off_on

        def apply(self, aggregate: MoneyPart) -> None:
            aggregate._recovery_written_off(
                recovery_id=self.recovery_id,
                written_off_on=self.written_off_on,
                reason=self.reason,
                by=self.by,
            )

    def write_off_recovery(
        self, *, recovery_id: str, written_off_on: date, reason: str, by: str
    ) -> None:
        recovery = self.recovery(recovery_id)
        why = require_text("reason", reason)
        not_before(
            "written_off_on", written_off_on, "the recovery's expected_on", recovery.expected_on
        )
        check_expected(recovery, self.id)
        self.trigger_event(
            self.RecoveryWrittenOff,
            recovery_id=recovery_id,
            written_off_on=written_off_on,
            reason=why,
            by=by,
        )

    def _recovery_written_off(
        self, *, recovery_id: str, written_off_on: date, reason: str, by: str
    ) -> None:
        self._fact(written_off_on, "the recovery's write-off")
        self._update_recovery(
            replace(
                self.recovery(recovery_id),
                state=RecoveryState.WRITTEN_OFF.value,
                written_off_on=written_off_on,
                write_off_reason=reason,
                closed_by=by,
            )
        )


def _legacy_payment(
    payment_id: str, settlement: Settlement, reopenings: int, insured: list[Insured], by: str
) -> Payment:
    """A round-1 settlement read as the issued final payment it was (api.md v2 §1)."""
    return Payment(
        payment_id=payment_id,
        payee=", ".join(person.name for person in insured),
        amount=settlement.amount,
        kind=PaymentKind.FINAL.value,
        mode=(PaymentMode.VOUCHER if settlement.mode == "voucher" else PaymentMode.TRANSFER).value,
        state=PaymentState.ISSUED.value,
        requested_on=settlement.paid_on,
        requested_by=by,
        approval_required=False,
        reopenings=reopenings,
        issued_on=settlement.paid_on,
        issued_by=by,
        bank_reference=settlement.reference,
    )
