"""How is the back office doing on a given day? (`GET /api/v1/dashboard`)"""
