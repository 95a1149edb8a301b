"""Repositories over SQLModel tables: rows in, plain dataclasses out, one module an aggregate."""
