"""How is the back office doing on a given day? (api.md `GET /api/v1/dashboard`)"""
