"""What must each handler do next, and by when? (api.md `GET /api/v1/worklist`)"""
