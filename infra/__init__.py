"""Adapters to the outside: configuration, persistence settings, logging."""
