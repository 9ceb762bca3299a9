"""Which deadlines are running, at risk, breached, met or missed? (api.md `GET /api/v1/sla`)"""
