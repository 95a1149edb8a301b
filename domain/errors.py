"""One error tree for the domain, mapped to a chat reply or an HTTP 4xx only at the edge.

DomainError
 +-- NotFound            an id that names nothing (party, order, product)
 +-- InvalidInput        a value the business refuses (bad quantity, unknown unit)
 |    +-- ImportFailed   a file with bad rows; carries every row error
 +-- Conflict            a state change that the current state forbids (confirm twice)
 +-- Forbidden           a party acting on what is not theirs
"""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every error the business rules raise."""


class NotFound(DomainError):
    pass


class InvalidInput(DomainError):
    pass


class Conflict(DomainError):
    pass


class Forbidden(DomainError):
    pass


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


class ImportFailed(InvalidInput):
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} bad row(s); nothing imported")
