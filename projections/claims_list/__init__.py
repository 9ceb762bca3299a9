"""Which claims are there, in which state? (api.md `GET /api/v1/claims`)"""
