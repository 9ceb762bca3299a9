"""Per claim: reserve, paid, recovered, incurred as of any business date, and as known at any
recorded time (api.md v2 §2 `GET /financials`; docs/adr/0027-money-ledger.md)."""
