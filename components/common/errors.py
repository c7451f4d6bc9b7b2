"""The two kinds of error a stage can end with, and what each means for a retry.

* :class:`PipelineError` is **permanent**: bad input, no champion, broken data, a bad setting. Running again
  cannot help, so it fails on the first attempt with one line that names the problem and the fix.
* :class:`TransientError` is **transient**: a lost connection, a restarting server, a file locked by another
  writer. The IO layer retries these itself (with backoff, tenacity); one still failing after its attempts is
  reported with this type, so the stage's command line exits with :data:`TRANSIENT_EXIT_CODE` instead of 1.
"""

# EX_TEMPFAIL from sysexits.h: "temporary failure, the user is invited to retry".
TRANSIENT_EXIT_CODE = 75
PERMANENT_EXIT_CODE = 1


class PipelineError(Exception):
    """A problem the user can fix; its message names the problem and the fix, on one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class TransientError(PipelineError):
    """A failure that may pass by itself (retried where it happens, then reported like any other one-liner)."""
