"""The command line of one stage, ``python -m components.<stage>``: its shell on files named as options.

The same ``run_stage`` wrapper as the KFP components (log lines on stderr, a one-line error and exit
code 1 for a ``PipelineError``), the stage's JSON report on stdout. It is what the container tests run,
and a stage image's ``--help`` is its smoke test.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from components.common.entrypoint import run_stage
from components.common.errors import PipelineError

Model = TypeVar("Model", bound=BaseModel)


def stage_parser(stage: str, description: str) -> argparse.ArgumentParser:
    """A parser with the option every stage takes, ``--run-date``."""
    parser = argparse.ArgumentParser(
        prog=f"python -m components.{stage}",
        description=description,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--run-date", required=True, help="the run date, YYYY-MM-DD")
    return parser


def add_path(parser: argparse.ArgumentParser, name: str, help_text: str, *, required: bool = True) -> None:
    """A file option (``--valid-scoring PATH``)."""
    parser.add_argument(f"--{name}", type=Path, required=required, metavar="PATH", help=help_text)


def add_warehouse_url(parser: argparse.ArgumentParser) -> None:
    """``--warehouse-url``; empty means ``$FLIGHTS_WAREHOUSE_URL`` (on a cluster: the Secret's)."""
    parser.add_argument(
        "--warehouse-url",
        default="",
        help="duckdb:////abs/path.duckdb or postgresql://... (empty: $FLIGHTS_WAREHOUSE_URL)",
    )


def add_artifact_root(parser: argparse.ArgumentParser) -> None:
    """``--artifact-root``, the folder whose ``registry/`` holds the models."""
    parser.add_argument("--artifact-root", type=Path, required=True, help="the registry lives in its registry/")


def add_settings(parser: argparse.ArgumentParser, model: type[BaseModel]) -> None:
    """One option per field of a settings model (``--max-iter``), defaulting to the model's default."""
    converters: dict[Any, Callable[[str], Any]] = {int: int, float: float}
    for name, field in model.model_fields.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=converters.get(field.annotation, str),
            default=field.default,
            help=field.description or "as in configs/*.yaml",
        )


def settings_from(args: argparse.Namespace, model: type[Model]) -> Model:
    """The settings model from the parsed options; a bad value is a one-line ``PipelineError``."""
    try:
        return model(**{name: getattr(args, name) for name in model.model_fields})
    except ValidationError as error:
        problems = "; ".join(
            f"--{'.'.join(str(part) for part in e['loc']).replace('_', '-')}: {e['msg']}" for e in error.errors()
        )
        raise PipelineError(f"bad option value: {problems}") from None


def run_cli(
    stage: str,
    parser: argparse.ArgumentParser,
    work: Callable[[argparse.Namespace], dict[str, Any]],
    argv: Sequence[str] | None = None,
) -> int:
    """Parse the options, run the stage, print its JSON report; returns the exit code (errors exit 1)."""
    args = parser.parse_args(argv)
    report = run_stage(stage, args.run_date, lambda: work(args))
    sys.stdout.write(report + "\n")
    return 0
