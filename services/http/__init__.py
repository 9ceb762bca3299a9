"""The HTTP API of api.md (FastAPI), built by `create_app`."""
