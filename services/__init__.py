"""Application services and entry points (CLI, HTTP) over the claims domain."""
