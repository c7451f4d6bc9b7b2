"""Each KFP component is its stage's Request, field for field: a signature and one call, nothing to drift."""

from __future__ import annotations

import pytest

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
