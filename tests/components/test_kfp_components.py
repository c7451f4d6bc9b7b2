"""Each KFP component is its stage's Request, field for field: a signature and one call, nothing to drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kfp.dsl import Dataset

from components import kfp_components
from components.common.deployment import STAGES
from components.common.stage import stage_module

# Outputs KFP shows as metadata, with no file: handed to the Report's publish, never to the Request.
PUBLISHED = {"evaluate": {"metrics", "classification"}}


@pytest.mark.parametrize("stage", STAGES)
def test_the_component_passes_exactly_its_requests_fields(stage: str) -> None:
    spec = getattr(kfp_components, stage).component_spec
    returned = {name for name, output in (spec.outputs or {}).items() if output.type == "String"}  # its return value
    passed = set(spec.inputs or {}) | (set(spec.outputs or {}) - returned)
    fields = stage_module(stage).Request.model_fields
    aliases = {field.alias or name for name, field in fields.items()}
    assert passed - PUBLISHED.get(stage, set()) <= aliases
    required = {field.alias or name for name, field in fields.items() if field.is_required()}
    assert required <= passed, f"{stage}: the component lacks {sorted(required - passed)}"


def test_an_aliased_settings_group_reaches_the_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The validate component's ``validate`` argument is its request's ``validate_`` field, by alias."""
    from components.common import stage as stage_entry

    captured = {}

    def fake_execute(stage: str, request: Any) -> Any:
        captured["request"] = request
        raise SystemExit(0)

    arguments: dict[str, Any] = {"run_date": "2013-06-15", "validate": {"max_quarantine_share": 0.3}}
    for name in ("history", "scoring", "valid_history", "valid_scoring", "quarantine"):
        artifact = Dataset(uri=str(tmp_path / name))
        artifact.path = str(tmp_path / name)
        arguments[name] = artifact
    monkeypatch.setattr(stage_entry, "execute", fake_execute)
    with pytest.raises(SystemExit):
        stage_entry.run_component("validate", arguments)
    assert captured["request"].validate_.max_quarantine_share == 0.3
