"""The demo's made-up data: names, destinations, causes per contract and guarantee, the
authority limits its handlers keep to, IBANs (services/demo.py draws from them, in order: the
order of each table is part of the demo's determinism for a seed)."""

from __future__ import annotations

from decimal import Decimal

FIRST_NAMES = (
    "Jeanne",
    "Paul",
    "Camille",
    "Louis",
    "Chloé",
    "Hugo",
    "Léa",
    "Nathan",
    "Inès",
    "Arthur",
    "Manon",
    "Jules",
    "Zoé",
    "Gabriel",
    "Sarah",
    "Raphaël",
)
LAST_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
)
DESTINATIONS = (
    "Lisbon",
    "Marrakech",
    "Rome",
    "Athens",
    "New York",
    "Montreal",
    "Réunion",
    "Guadeloupe",
    "Tokyo",
    "Dakar",
    "Barcelona",
    "Bangkok",
)
CAUSES = {
    "A": [
        ("serious_illness", "admitted to hospital"),
        ("serious_accident", "fracture"),
        ("death", "death of a parent"),
    ],
    "B": [
        ("economic_dismissal", "dismissal letter"),
        ("visa_refusal", "embassy refusal"),
        ("home_damage", "water damage at home"),
    ],
    "C": [("unforeseeable_event", "flight cancelled by strike")],
    "D": [("personal_reason", "no longer wishes to travel")],
    "medical": [("illness", "acute illness"), ("accident", "sprained ankle")],
    "other": [
        ("dismissal", "economic dismissal"),
        ("job_transfer", "job transfer"),
        ("exam_resit", "resit exam"),
    ],
}
GUARANTEES = {
    "CA2624": ("cancellation",),
    "MULTIASSISTANCE_PLUS": (
        "cancellation",
        "cancellation",
        "interruption",
        "baggage",
        "flight_delay",
    ),
    "CORSAIR_7906011": (
        "cancellation",
        "cancellation",
        "interruption",
        "baggage",
        "missed_departure",
    ),
}
CATEGORIES = {
    "CA2624": ("A", "A", "B", "C", "D"),
    "MULTIASSISTANCE_PLUS": ("medical", "other"),
    "CORSAIR_7906011": ("medical", "other"),
}


# api.md's default authority limits (the demo's handlers and managers keep to them).
HANDLER_LIMIT = Decimal("5000.00")
MANAGER_LIMIT = Decimal("50000.00")
# Valid IBANs (mod-97), made up; stored sealed, shown masked.
DEMO_IBANS = (
    "FR76 3000 6000 0100 0001 2345 633",
    "FR76 3000 6000 0100 0011 2345 649",
    "FR76 3000 6000 0100 0021 2345 665",
)
