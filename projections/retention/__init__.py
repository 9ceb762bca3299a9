"""The retention read model (contract v2 §6; docs/adr/0037-erasure-and-retention.md)."""
