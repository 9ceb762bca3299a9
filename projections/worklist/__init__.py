"""What must each handler do next, and by when? (`GET /api/v1/worklist`)"""
