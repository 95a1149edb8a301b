"""Adapters: SQL tables and repositories, in-memory twins, database setup."""
