"""The one error type the CLI and the stage entry points turn into a one-line message."""


class PipelineError(Exception):
    """A problem the user can fix; its message names the problem and the fix, on one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))
