"""Which claims are there, in which state? (`GET /api/v1/claims`)"""
