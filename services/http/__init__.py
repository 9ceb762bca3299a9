"""The HTTP API (FastAPI; its OpenAPI at /openapi.json), built by `create_app`."""
