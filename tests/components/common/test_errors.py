"""The one error type: its message is always a single line."""

from __future__ import annotations

from components.common.errors import PipelineError


def test_message_is_collapsed_to_one_line() -> None:
    error = PipelineError("the warehouse\n  has no flights:\tseed it  ")

    assert str(error) == "the warehouse has no flights: seed it"
    assert isinstance(error, Exception)
