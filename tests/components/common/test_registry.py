"""The model registry: immutable versions, a verified model file, a champion pointer, a decision history."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from components.common import registry
from components.common.errors import PipelineError
from components.common.registry import (
    list_decisions,
    load_model,
    read_champion,
    read_evaluation,
    read_lineage,
    read_reference,
    record_decision,
    register_model,
    registry_root,
    remove_stray_staging,
    set_champion,
    write_evaluation,
)

VERSION = "20130615-0123456789ab"
LINEAGE = {"run_date": "2013-06-15", "train_rows": 1200, "data_sha256": "d" * 64}
REFERENCE = {"rows": 1200, "numeric": {}, "categorical": {"carrier": {"UA": 1.0}}}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return registry_root(tmp_path / "artifacts")


def _register(root: Path, version: str = VERSION, model: Any = None) -> bool:
    return register_model(root, version, model or {"weights": [0.1, 0.2]}, LINEAGE, REFERENCE)


def test_registry_lives_under_the_artifact_root(tmp_path: Path) -> None:
    assert registry_root(tmp_path) == tmp_path / "registry"


def test_register_writes_model_lineage_and_reference_together(root: Path) -> None:
    assert _register(root) is True

    folder = root / "models" / VERSION
    assert sorted(p.name for p in folder.iterdir()) == ["lineage.json", "model.pkl", "reference.json"]
    lineage = read_lineage(root, VERSION)
    assert lineage == {
        **LINEAGE,
        "version": VERSION,
        "model_sha256": hashlib.sha256((folder / "model.pkl").read_bytes()).hexdigest(),
    }
    assert read_reference(root, VERSION) == REFERENCE
    assert load_model(root, VERSION) == {"weights": [0.1, 0.2]}
    assert [p.name for p in (root / "models").iterdir()] == [VERSION]  # no staging folder left


def test_register_is_idempotent_and_never_overwrites(root: Path) -> None:
    _register(root, model={"weights": [1.0]})
    before = {p.name: p.read_bytes() for p in (root / "models" / VERSION).iterdir()}

    assert _register(root, model={"weights": [2.0]}) is False

    after = {p.name: p.read_bytes() for p in (root / "models" / VERSION).iterdir()}
    assert after == before
    assert load_model(root, VERSION) == {"weights": [1.0]}


def test_failed_register_leaves_no_version_and_no_staging(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write_json = registry.write_json

    def fail_on_reference(document: Any, path: Path) -> None:
        if path.name == "reference.json":
            raise OSError("disk full")
        real_write_json(document, path)

    monkeypatch.setattr(registry, "write_json", fail_on_reference)

    with pytest.raises(OSError, match="disk full"):
        _register(root)

    assert list((root / "models").iterdir()) == []
    monkeypatch.undo()
    assert _register(root) is True  # the failed attempt did not block a retry


def test_register_returns_false_when_another_writer_registers_the_same_version_first(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_dumps = pickle.dumps
    raced = []

    def dumps_while_another_writer_finishes(model: Any, protocol: int) -> bytes:
        if not raced:
            raced.append(True)
            assert _register(root, model={"weights": ["other writer"]}) is True
        return real_dumps(model, protocol=protocol)

    monkeypatch.setattr(registry.pickle, "dumps", dumps_while_another_writer_finishes)

    assert _register(root) is False


def test_load_model_refuses_a_tampered_file(root: Path) -> None:
    _register(root)
    path = root / "models" / VERSION / "model.pkl"
    path.write_bytes(pickle.dumps({"weights": [9.9, 9.9]}, protocol=5))

    with pytest.raises(PipelineError) as raised:
        load_model(root, VERSION)

    assert str(raised.value) == (
        f"model file of version {VERSION} does not match the hash the registry recorded: "
        "it was changed after it was written; retrain with a new run"
    )


def test_load_model_names_a_missing_file(root: Path) -> None:
    _register(root)
    (root / "models" / VERSION / "model.pkl").unlink()

    with pytest.raises(PipelineError) as raised:
        load_model(root, VERSION)

    assert str(raised.value) == f"model file of version {VERSION} is missing from the registry at {root}"


def test_load_model_of_an_unknown_version_names_its_lineage(root: Path) -> None:
    with pytest.raises(PipelineError) as raised:
        load_model(root, "20130101-unknown")

    lineage = root / "models" / "20130101-unknown" / "lineage.json"
    assert str(raised.value) == f"lineage of model 20130101-unknown {lineage} does not exist"


def test_no_champion_before_the_first_promotion(root: Path) -> None:
    assert read_champion(root) is None


def test_champion_pointer_is_set_and_read(root: Path) -> None:
    _register(root)
    pointer = {"version": VERSION, "run_date": "2013-06-15", "reason": "no champion yet"}

    set_champion(root, pointer)

    assert read_champion(root) == pointer
    assert sorted(p.name for p in root.iterdir()) == ["champion.json", "models"]  # no temporary left


def test_champion_must_be_a_registered_version(root: Path) -> None:
    with pytest.raises(PipelineError) as raised:
        set_champion(root, {"version": "20130101-missing"})

    assert str(raised.value) == f"cannot promote 20130101-missing: no such version in the registry at {root}"
    assert read_champion(root) is None


def test_evaluation_round_trip(root: Path) -> None:
    _register(root)
    evaluation = {"metrics": {"challenger": {"roc_auc": 0.71, "brier": 0.15}}}

    write_evaluation(root, VERSION, evaluation)

    assert read_evaluation(root, VERSION) == evaluation


def test_decisions_are_appended_never_overwritten(root: Path) -> None:
    first = record_decision(root, "2013-06-15", {"promoted": True, "reason": "first"})
    second = record_decision(root, "2013-06-15", {"promoted": False, "reason": "rerun"})
    other_day = record_decision(root, "2013-06-16", {"promoted": False, "reason": "next day"})

    assert [first.name, second.name, other_day.name] == [
        "2013-06-15.001.json",
        "2013-06-15.002.json",
        "2013-06-16.001.json",
    ]
    assert json.loads(first.read_text())["reason"] == "first"
    assert [d["reason"] for d in list_decisions(root)] == ["first", "rerun", "next day"]


def test_a_gap_in_the_numbering_does_not_overwrite_a_decision(root: Path) -> None:
    first = record_decision(root, "2013-06-15", {"reason": "first"})
    record_decision(root, "2013-06-15", {"reason": "second"})
    first.unlink()

    record_decision(root, "2013-06-15", {"reason": "third"})

    assert sorted(d["reason"] for d in list_decisions(root)) == ["second", "third"]


def test_no_decisions_before_the_first(root: Path) -> None:
    assert list_decisions(root) == []


def test_concurrent_decisions_for_a_day_are_all_kept(tmp_path: Path) -> None:
    import threading

    root = tmp_path / "registry"
    barrier = threading.Barrier(4)

    def decide(number: int) -> None:
        barrier.wait()
        record_decision(root, "2013-06-15", {"run_date": "2013-06-15", "number": number})

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(d["number"] for d in list_decisions(root)) == [0, 1, 2, 3]
    assert not list((root / "decisions").glob(".*"))  # no temp files left


def test_leftovers_of_a_killed_registry_writer_are_removed(tmp_path: Path) -> None:
    root = tmp_path / "registry"
    staging = root / "models" / ".20130615-abc.999999999.q1"
    staging.mkdir(parents=True)
    (staging / "model.pkl").write_bytes(b"half")
    live = root / "models" / f".20130615-def.{os.getpid()}.q2"
    live.mkdir()

    assert remove_stray_staging(root) == [staging]
    assert live.is_dir()
