"""The KFP API client side of running the pipeline on a cluster: a thin layer over the real `kfp.Client`.

Every failure the user can fix is a one-line `components.common.errors.PipelineError`.
"""

from cluster.doctor import (
    CommandResult,
    CommandRunner,
    check_images,
    check_kfp,
    check_secret,
    check_tracking,
    doctor,
    run_command,
)
from cluster.pipelines import PipelineRef, find_pipeline_id, find_version_id, upload_pipeline_version
from cluster.runs import backfill, ensure_experiment, submit_run, wait_for_run
from cluster.schedules import (
    DEFAULT_CRON,
    ScheduledRun,
    ScheduleResult,
    find_schedules,
    schedule,
    unschedule,
    validate_cron,
    wait_for_scheduled_run,
)
from cluster.session import (
    DEFAULT_HOST,
    DEFAULT_NAMESPACE,
    MINIMUM_BACKEND,
    SDK_VERSION,
    KfpSession,
    backend_version,
    connect,
    require_backend,
    run_url,
    version_skew,
)

__all__ = [
    "DEFAULT_CRON",
    "DEFAULT_HOST",
    "DEFAULT_NAMESPACE",
    "MINIMUM_BACKEND",
    "SDK_VERSION",
    "CommandResult",
    "CommandRunner",
    "KfpSession",
    "PipelineRef",
    "ScheduleResult",
    "ScheduledRun",
    "backend_version",
    "backfill",
    "check_images",
    "check_kfp",
    "check_secret",
    "check_tracking",
    "connect",
    "doctor",
    "ensure_experiment",
    "find_pipeline_id",
    "find_schedules",
    "find_version_id",
    "require_backend",
    "run_command",
    "run_url",
    "schedule",
    "submit_run",
    "unschedule",
    "upload_pipeline_version",
    "validate_cron",
    "version_skew",
    "wait_for_run",
    "wait_for_scheduled_run",
]
