"""Search claims by number, subscription number or insured name (docs/adr/0030-claim-search.md).

Names are personal data: only their keyed hashes are kept, never the names themselves."""
