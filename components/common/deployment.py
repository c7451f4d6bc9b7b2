"""Names the pipeline, the stages and the cluster tooling share (k8s/ and scripts/cluster/ use the same literals;
tests/k8s checks them). Standard library only: pipeline.py and the submit image read these without the warehouse
drivers."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

# The eight stages, in the order data flows through them; each has its own image.
STAGES = ("ingest", "validate", "features", "train", "evaluate", "promote", "predict", "monitor")
# The Secret that holds the warehouse URL (key `url`) on a cluster, and the variable the stages read it from.
WAREHOUSE_SECRET = "flights-warehouse"
WAREHOUSE_URL_ENV = "FLIGHTS_WAREHOUSE_URL"
# The optional Secret with the alert webhook's URL (key `webhook-url`), and the variable the exit task reads it from
# (locally the CLI sets it from the config's alert_webhook_url). Unset: no alert is sent.
ALERTS_SECRET = "flights-alerts"
ALERTS_SECRET_KEY = "webhook-url"
ALERT_WEBHOOK_ENV = "FLIGHTS_ALERT_WEBHOOK_URL"
# MLflow: the experiment every run is tracked in, the registered model, the champion's alias, and where stage pods
# reach the tracking server on a cluster (the Service `flights-mlflow` of k8s/mlflow, in KFP's namespace).
TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
EXPERIMENT = "flight-delay"
REGISTERED_MODEL = "flight-disruption"
CHAMPION_ALIAS = "champion"
MLFLOW_SERVICE = "flights-mlflow"
MLFLOW_PORT = 5000
CLUSTER_TRACKING_URI = f"http://{MLFLOW_SERVICE}.kubeflow.svc.cluster.local:{MLFLOW_PORT}"
# The Secret of the tracking server (keys `password`, the PostgreSQL user mlflow's, and `url`, its backend store).
MLFLOW_SECRET = "flights-mlflow"
_REPOSITORY = Path(__file__).resolve().parents[2]


def placeholder_image(stage: str) -> str:
    """The image a component names before the pipeline builder sets the configured one."""
    return f"flight-delay/{stage}:dev"


@dataclass(frozen=True)
class StageImages:
    """Each stage's own image, ``{repo}/{stage}:{tag}``, chosen when a pipeline is built; pinned to its digest,
    ``{repo}/{stage}:{tag}@sha256:...``, when ``digests`` has one for it (``(stage, digest)`` pairs of a push)."""

    repo: str
    tag: str
    digests: tuple[tuple[str, str], ...] = ()

    def image(self, stage: str) -> str:
        """The image of one stage."""
        reference = f"{self.repo}/{stage}:{self.tag}"
        digest = dict(self.digests).get(stage)
        return f"{reference}@{digest}" if digest else reference


def code_version() -> str:
    """The git commit (with a ``-dirty`` marker, as `make build` tags images), or ``CODE_VERSION``, or ``unknown``."""
    if os.environ.get("CODE_VERSION"):
        return os.environ["CODE_VERSION"]

    def git(*argv: str) -> str:
        return subprocess.run(["git", *argv], capture_output=True, text=True, check=True, cwd=_REPOSITORY).stdout

    try:
        sha = git("rev-parse", "--short=12", "HEAD").strip()
        dirty = git("status", "--porcelain", "--untracked-files=no").strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{sha}-dirty" if dirty else sha
