"""Small shared field types of the API."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A row id: a positive 64-bit integer (larger numbers are refused as invalid, not sent to the database)."""

Text = Annotated[str, Field(pattern=r"^[^\x00]*$")]
"""Text without NUL characters (PostgreSQL cannot store them): a NUL is a 422 naming the field, not a 500."""
