"""Which deadlines are running, at risk, breached, met or missed? (`GET /api/v1/sla`)"""
