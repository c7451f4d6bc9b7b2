"""The release workflow (issue 15): on a version tag, scan, build and push every image once, an SBOM per image, then
the same images by digest to dev, preprod and prod, the last two behind GitHub environments. It can't run here, so
what it does is read from it; actionlint (tests/k8s/test_workflows.py runs it on every workflow) checks the rest."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.k8s.conftest import REPO
from tests.k8s.test_workflows import actionlint

WORKFLOWS = REPO / ".github" / "workflows"
RELEASE = WORKFLOWS / "release.yml"
DEPLOY = WORKFLOWS / "deploy.yml"


def _load(path: Path) -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load(path.read_text())
    return workflow


def _images() -> list[str]:
    found = re.search(r"^IMAGES := (.+)$", (REPO / "mk" / "docker.mk").read_text(), re.MULTILINE)
    assert found is not None
    return found.group(1).split()


def test_runs_on_version_tags_only_with_read_only_defaults() -> None:
    workflow = _load(RELEASE)
    assert workflow[True] == {"push": {"tags": ["v*"]}}  # YAML 1.1 reads the key `on` as true
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert "IT CANNOT RUN ON OUR OWN MACHINES" in RELEASE.read_text()


def test_scan_then_build_then_dev_preprod_prod_in_order() -> None:
    jobs = _load(RELEASE)["jobs"]
    assert list(jobs) == ["scan", "build", "dev", "preprod", "prod"]
    assert jobs["build"]["needs"] == "scan"
    assert jobs["dev"]["needs"] == "build"
    assert jobs["preprod"]["needs"] == ["build", "dev"]
    assert jobs["prod"]["needs"] == ["build", "preprod"]
    assert [step.get("run") for step in jobs["scan"]["steps"]][-1] == "make scan"


def test_every_environment_deploys_the_builds_digests() -> None:
    jobs = _load(RELEASE)["jobs"]
    for env in ("dev", "preprod", "prod"):
        job = jobs[env]
        assert job["uses"] == "./.github/workflows/deploy.yml"
        assert job["with"] == {
            "environment": env,
            "image_repo": "${{ needs.build.outputs.image_repo }}",
            "image_tag": "${{ needs.build.outputs.image_tag }}",
            "digests": "${{ needs.build.outputs.digests }}",
        }
    assert jobs["build"]["outputs"]["digests"] == "${{ steps.digests.outputs.digests }}"


def test_the_deploy_job_is_gated_by_its_environment_and_runs_make_deploy() -> None:
    workflow = _load(DEPLOY)
    assert set(workflow[True]) == {"workflow_call"}
    [job] = workflow["jobs"].values()
    assert job["environment"] == "${{ inputs.environment }}"  # its required reviewers approve it first
    runs = " ".join(step.get("run", "") for step in job["steps"])
    assert 'make deploy ENV="$ENV"' in runs
    assert "IMAGE_DIGESTS=build/release/digests.txt" in runs
    assert "printf '%s\\n' \"$DIGESTS\" >build/release/digests.txt" in runs
    assert "Settings > Environments" in RELEASE.read_text()


def test_build_pushes_then_writes_a_digest_and_an_sbom_per_image() -> None:
    build = _load(RELEASE)["jobs"]["build"]
    assert build["permissions"] == {"contents": "write", "packages": "write"}
    runs = [step.get("run", "") for step in build["steps"]]
    order = ["make build", "make push", "RepoDigests", "spdx-json", "gh release create"]
    positions = [next(i for i, run in enumerate(runs) if word in run) for word in order]
    assert positions == sorted(positions)
    digest_loop = next(run for run in runs if "RepoDigests" in run)
    assert f"for image in {' '.join(_images())}; do" in digest_loop  # every image make build makes
    sbom = next(run for run in runs if "spdx-json" in run)
    assert '"registry:$IMAGE_REPO/$image@$digest"' in sbom  # the pushed image, by digest
    assert any(step.get("uses", "").startswith("anchore/sbom-action/download-syft@v") for step in build["steps"])


def test_actions_are_pinned() -> None:
    for path in (RELEASE, DEPLOY):
        for job in _load(path)["jobs"].values():
            for step in job.get("steps", []):
                if "uses" in step:
                    assert re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+(\.\d+)*|[0-9a-f]{40})", step["uses"]), step["uses"]


def test_actionlint_fails_when_a_deployment_reads_an_output_build_does_not_have(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    text = RELEASE.read_text()
    (workflows / "release.yml").write_text(
        text.replace("needs.build.outputs.digests }}", "needs.build.outputs.nope }}")
    )
    (workflows / "deploy.yml").write_text(DEPLOY.read_text())
    result = actionlint(".github/workflows/release.yml", cwd=tmp_path)
    assert result.returncode != 0
    assert 'property "nope" is not defined' in result.stdout
