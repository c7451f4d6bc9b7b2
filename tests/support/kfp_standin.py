"""A stand-in for the KFP v2beta1 REST API, for tests that drive the real `kfp.Client` (SDK 2.17.3).

The KFP API server can't run on these machines (no Kubernetes backend), so this implements, in memory
and on a free loopback port, exactly the endpoints the SDK calls for `cluster/`:

    GET    /apis/v2beta1/healthz
    POST   /apis/v2beta1/pipelines                  GET /apis/v2beta1/pipelines[/{id}]
    POST   /apis/v2beta1/pipelines/upload           POST /apis/v2beta1/pipelines/upload_version   (multipart)
    GET    /apis/v2beta1/pipelines/{id}/versions[/{version_id}]
    POST   /apis/v2beta1/experiments                GET /apis/v2beta1/experiments[/{id}]
    POST   /apis/v2beta1/runs                       GET /apis/v2beta1/runs[/{id}]
    POST   /apis/v2beta1/recurringruns              GET /apis/v2beta1/recurringruns[/{id}]
    DELETE /apis/v2beta1/recurringruns/{id}

What it models from the real backend (backend/src/apiserver, 2.17), because the client code depends on it:
- healthz: the API server answers ``commit_sha``/``tag_name``/``multi_user``/``pipeline_store``; through the UI's
  proxy (`svc/ml-pipeline-ui`, what `kubectl port-forward` reaches) the UI answers ``apiServerTagName``,
  ``apiServerReady`` ... instead (``via_ui_proxy=True``), HTTP 200 even when the API server is down.
- names: a pipeline name is unique (upload or create again: 409); a version name is unique within its
  pipeline (409). Uploads must be a KFP pipeline spec (``pipelineInfo`` and ``root``), else 400.
- list calls: ``filter`` (JSON predicates, EQUALS on display_name/name; other keys 400), ``page_size``,
  ``page_token``/``next_page_token``; oldest first, like the server's default sort on created_at.
- recurring runs: ``max_concurrency`` must be 1..10; the cron is parsed like robfig/cron's default parser,
  i.e. 5 *or* 6 fields are accepted (a five-field cron is silently read seconds-first, which is why the client
  refuses it), anything else is 400. A reference without ``pipeline_version_id`` is accepted and the latest
  version is resolved when the schedule fires (`trigger_recurring_run`), as #11560 made the backend do.
- runs: start PENDING; an unknown experiment or pipeline version is 404; an empty experiment id means the
  Default experiment, which exists from the start in single-user mode.
Not modeled: authentication, namespaces in multi-user mode, archiving, run parameters checked against the
spec's inputs, and running anything: tests move runs through their states with `finish_run` or an
`outcome_for` policy, and `events` records when each run was created and finished.
"""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

FINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELED", "SKIPPED"})
_GRPC_INVALID_ARGUMENT, _GRPC_NOT_FOUND, _GRPC_ALREADY_EXISTS = 3, 5, 6
_FILTER_KEYS = {"display_name", "name"}
_CRON_DESCRIPTORS = re.compile(r"^@(yearly|annually|monthly|weekly|daily|midnight|hourly|every \S+)$")


class ApiError(Exception):
    """An error answer: HTTP status, gRPC code, message."""

    def __init__(self, status: HTTPStatus, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _not_found(what: str) -> ApiError:
    return ApiError(HTTPStatus.NOT_FOUND, _GRPC_NOT_FOUND, f"{what} not found")


def _invalid(message: str) -> ApiError:
    return ApiError(HTTPStatus.BAD_REQUEST, _GRPC_INVALID_ARGUMENT, message)


def robfig_cron_accepts(cron: str) -> bool:
    """Whether robfig/cron v1's default parser (seconds, optional day-of-week, descriptors) accepts `cron`."""
    spec = cron.strip()
    if spec.startswith("@"):
        return bool(_CRON_DESCRIPTORS.match(spec))
    fields = spec.split()
    return len(fields) in (5, 6) and all(re.fullmatch(r"[0-9A-Za-z*?/,-]+", part) for part in fields)


@dataclass
class KfpStandIn:
    """The in-memory server. Use as a context manager; `host` is its base URL."""

    tag_name: str = "2.17.0"
    via_ui_proxy: bool = False
    api_server_ready: bool = True
    healthz_status: int = 200
    # When set, a run that is polled `polls_to_finish` times ends in outcome_for(run); else it waits for finish_run.
    outcome_for: Callable[[dict[str, Any]], str] | None = None
    polls_to_finish: int = 2
    unavailable_polls: int = 0  # the next N GETs of a run answer 503, as a port-forward that drops would
    pipelines: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, dict[str, Any]] = field(default_factory=dict)
    experiments: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    recurring_runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[tuple[str, str]] = field(default_factory=list)  # ("created" | "finished", run_id), in order
    requests: list[tuple[str, str, Any]] = field(default_factory=list)  # (method, path, JSON body or None)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _clock: int = 0
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        default = self._stamp({"experiment_id": str(uuid.uuid4()), "display_name": "Default", "namespace": ""})
        default["storage_state"] = "AVAILABLE"
        self.experiments[default["experiment_id"]] = default

    # ---- lifecycle -------------------------------------------------------------------------------------------
    def __enter__(self) -> KfpStandIn:
        standin = self

        class Handler(_Handler):
            owner = standin

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.01), name="kfp-standin", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def host(self) -> str:
        assert self._server is not None, "use the stand-in as a context manager"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ---- test controls ---------------------------------------------------------------------------------------
    def finish_run(self, run_id: str, state: str = "SUCCEEDED", message: str = "") -> None:
        """Move a run to a final state, as Argo and the persistence agent would."""
        with self._lock:
            run = self.runs[run_id]
            run["state"] = state
            run["finished_at"] = self._now()
            run["state_history"].append({"state": state, "update_time": run["finished_at"]})
            if message:
                run["error"] = {"code": 2, "message": message}
            self.events.append(("finished", run_id))

    def trigger_recurring_run(self, recurring_run_id: str) -> str:
        """Start the run a schedule would start now: its pinned version, or the pipeline's latest one."""
        with self._lock:
            job = self.recurring_runs[recurring_run_id]
            reference = dict(job.get("pipeline_version_reference") or {})
            if not reference.get("pipeline_version_id"):
                reference["pipeline_version_id"] = self._latest_version(reference["pipeline_id"])["pipeline_version_id"]
            body = {
                "display_name": f"{job['display_name']}-{self._clock}",
                "experiment_id": job["experiment_id"],
                "pipeline_version_reference": reference,
                "runtime_config": job.get("runtime_config") or {},
                "recurring_run_id": recurring_run_id,
            }
            run = self._create_run(body)
            run["scheduled_at"] = run["created_at"]  # the slot: the backend sets it for a scheduled run
            return str(run["run_id"])

    def max_concurrent_runs(self) -> int:
        """The most runs that were ever between created and finished at the same time."""
        active, most = 0, 0
        for event, _ in self.events:
            active += 1 if event == "created" else -1
            most = max(most, active)
        return most

    def schedules_named(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [job for job in self.recurring_runs.values() if job["display_name"] == name]

    # ---- state helpers ---------------------------------------------------------------------------------------
    def _now(self) -> str:
        self._clock += 1
        moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=self._clock)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def _stamp(self, item: dict[str, Any]) -> dict[str, Any]:
        item["created_at"] = self._now()
        item["_order"] = self._clock
        return item

    def _latest_version(self, pipeline_id: str) -> dict[str, Any]:
        versions = [v for v in self.versions.values() if v["pipeline_id"] == pipeline_id]
        if not versions:
            raise _invalid(f"pipeline {pipeline_id} has no versions")
        return max(versions, key=lambda version: version["_order"])

    def _experiment_id(self, requested: str | None) -> str:
        if not requested:
            return str(next(e["experiment_id"] for e in self.experiments.values() if e["display_name"] == "Default"))
        if requested not in self.experiments:
            raise _not_found(f"experiment {requested}")
        return requested

    def _check_reference(self, body: dict[str, Any], version_required: bool) -> None:
        reference = body.get("pipeline_version_reference") or {}
        if body.get("pipeline_spec") and not reference:
            return
        pipeline_id = reference.get("pipeline_id", "")
        if not pipeline_id:
            raise _invalid("pipeline_version_reference.pipeline_id or pipeline_spec is required")
        if pipeline_id not in self.pipelines:
            raise _not_found(f"pipeline {pipeline_id}")
        version_id = reference.get("pipeline_version_id", "")
        if not version_id:
            if version_required:
                raise _invalid("pipeline_version_reference.pipeline_version_id is required")
            self._latest_version(pipeline_id)
            return
        version = self.versions.get(version_id)
        if version is None or version["pipeline_id"] != pipeline_id:
            raise _not_found(f"pipeline version {version_id} of pipeline {pipeline_id}")

    def _create_run(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("display_name"):
            raise _invalid("run display_name is empty")
        experiment_id = self._experiment_id(body.get("experiment_id"))
        self._check_reference(body, version_required=False)
        reference = dict(body.get("pipeline_version_reference") or {})
        if reference and not reference.get("pipeline_version_id"):
            reference["pipeline_version_id"] = self._latest_version(reference["pipeline_id"])["pipeline_version_id"]
        run = self._stamp(
            {
                "run_id": str(uuid.uuid4()),
                "display_name": body["display_name"],
                "experiment_id": experiment_id,
                "pipeline_version_reference": reference,
                "runtime_config": body.get("runtime_config") or {},
                "storage_state": "AVAILABLE",
                "state": "PENDING",
                "_polls": 0,
            }
        )
        if body.get("recurring_run_id"):
            run["recurring_run_id"] = body["recurring_run_id"]
        run["state_history"] = [{"state": "PENDING", "update_time": run["created_at"]}]
        self.runs[run["run_id"]] = run
        self.events.append(("created", run["run_id"]))
        return run

    def _poll_run(self, run_id: str) -> dict[str, Any]:
        if self.unavailable_polls > 0:
            self.unavailable_polls -= 1
            raise ApiError(HTTPStatus.SERVICE_UNAVAILABLE, 14, "upstream connect error")
        run = self.runs.get(run_id)
        if run is None:
            raise _not_found(f"run {run_id}")
        if self.outcome_for is not None and run["state"] not in FINAL_STATES:
            run["_polls"] += 1
            if run["_polls"] >= self.polls_to_finish:
                self.finish_run(run_id, self.outcome_for(run))
            elif run["state"] == "PENDING":
                run["state"] = "RUNNING"
                run["state_history"].append({"state": "RUNNING", "update_time": self._now()})
        return run

    def _create_recurring_run(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("display_name"):
            raise _invalid("recurring run display_name is empty")
        self._check_reference(body, version_required=False)
        try:
            concurrency = int(body.get("max_concurrency") or 0)
        except (TypeError, ValueError) as error:
            raise _invalid(f"max_concurrency {body.get('max_concurrency')!r} is not a number") from error
        if not 1 <= concurrency <= 10:
            raise _invalid(
                f"The max concurrency of the recurring run is out of range. Support 1-10. Received {concurrency}."
            )
        trigger = body.get("trigger") or {}
        cron = (trigger.get("cron_schedule") or {}).get("cron")
        if cron is not None and not robfig_cron_accepts(cron):
            raise _invalid(f"Schedule cron is not a supported format(https://godoc.org/github.com/robfig/cron): {cron}")
        if not cron and not (trigger.get("periodic_schedule") or {}).get("interval_second"):
            raise _invalid("a recurring run needs a cron_schedule or a periodic_schedule")
        job = self._stamp(
            {
                **{key: value for key, value in body.items() if value is not None},
                "recurring_run_id": str(uuid.uuid4()),
                "experiment_id": self._experiment_id(body.get("experiment_id")),
                "max_concurrency": str(concurrency),
                "mode": body.get("mode") or "ENABLE",
            }
        )
        job["status"] = "ENABLED" if job["mode"] == "ENABLE" else "DISABLED"
        job["updated_at"] = job["created_at"]
        self.recurring_runs[job["recurring_run_id"]] = job
        return job

    def _upload(self, query: dict[str, str], content_type: str, raw: bytes, pipeline_id: str | None) -> dict[str, Any]:
        filename, data = _uploaded_file(content_type, raw)
        spec = _pipeline_spec(data)
        name = query.get("name") or query.get("display_name") or filename.rsplit(".", 1)[0]
        display_name = query.get("display_name") or name
        if pipeline_id is None:
            if any(p["name"] == name for p in self.pipelines.values()):
                raise ApiError(HTTPStatus.CONFLICT, _GRPC_ALREADY_EXISTS, "Failed to create a pipeline and a version")
            pipeline = self._stamp({"pipeline_id": str(uuid.uuid4()), "name": name, "display_name": display_name})
            pipeline["namespace"] = query.get("namespace", "")
            self.pipelines[pipeline["pipeline_id"]] = pipeline
            self._add_version(pipeline["pipeline_id"], name, display_name, spec)
            return pipeline
        if pipeline_id not in self.pipelines:
            raise _invalid("Failed to create a pipeline version")
        if any(v["pipeline_id"] == pipeline_id and v["name"] == name for v in self.versions.values()):
            raise ApiError(HTTPStatus.CONFLICT, _GRPC_ALREADY_EXISTS, "Failed to create a pipeline version")
        return self._add_version(pipeline_id, name, display_name, spec)

    def _add_version(self, pipeline_id: str, name: str, display_name: str, spec: Any) -> dict[str, Any]:
        version = self._stamp(
            {
                "pipeline_id": pipeline_id,
                "pipeline_version_id": str(uuid.uuid4()),
                "name": name,
                "display_name": display_name,
                "pipeline_spec": spec,
            }
        )
        self.versions[version["pipeline_version_id"]] = version
        return version

    # ---- request dispatch ------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, str], content_type: str, raw: bytes) -> Any:
        """Answer one request: the JSON to send, or raise ApiError."""
        body = json.loads(raw) if raw and "json" in content_type else None
        with self._lock:
            self.requests.append((method, path, body))
            for route_method, pattern, action in _ROUTES:
                match = re.fullmatch(pattern, path)
                if match and route_method == method:
                    return action(self, match, query, body or {}, content_type, raw)
        raise ApiError(HTTPStatus.NOT_FOUND, _GRPC_NOT_FOUND, f"Not Found: {method} {path}")

    def healthz(self) -> tuple[int, dict[str, Any]]:
        if self.via_ui_proxy:
            answer: dict[str, Any] = {"apiServerReady": self.api_server_ready, "buildDate": "", "frontendTagName": ""}
            if self.api_server_ready:
                answer |= {"apiServerTagName": self.tag_name, "apiServerMultiUser": False, "multi_user": False}
            return 200, answer
        return self.healthz_status, {
            "commit_sha": "0" * 40,
            "tag_name": self.tag_name,
            "multi_user": False,
            "pipeline_store": "database",
        }


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if not key.startswith("_")}


def _matches_filter(item: dict[str, Any], raw_filter: str | None) -> bool:
    if not raw_filter:
        return True
    try:
        predicates = json.loads(raw_filter).get("predicates", [])
    except (ValueError, AttributeError) as error:
        raise _invalid(f"Invalid filter: {raw_filter}") from error
    for predicate in predicates:
        key = predicate.get("key")
        if key not in _FILTER_KEYS:
            raise _invalid(f"Invalid filter: key {key!r} is not supported here")
        if predicate.get("operation") not in ("EQUALS", 1):
            raise _invalid(f"Invalid filter: only EQUALS is modeled, got {predicate.get('operation')!r}")
        wanted = predicate.get("string_value", predicate.get("stringValue"))
        if item.get(key) != wanted:
            return False
    return True


def _page(items: list[dict[str, Any]], query: dict[str, str], key: str) -> dict[str, Any]:
    selected = [item for item in sorted(items, key=lambda i: i["_order"]) if _matches_filter(item, query.get("filter"))]
    size = int(query.get("page_size") or 20)
    start = int(query.get("page_token") or 0)
    chunk = selected[start : start + size]
    answer: dict[str, Any] = {key: [_public(item) for item in chunk], "total_size": len(selected)}
    if start + size < len(selected):
        answer["next_page_token"] = str(start + size)
    return answer


def _uploaded_file(content_type: str, raw: bytes) -> tuple[str, bytes]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "uploadfile":
            payload = part.get_payload(decode=True)
            return str(part.get_filename() or "pipeline.yaml"), payload if isinstance(payload, bytes) else b""
    raise _invalid("Failed to read pipeline from file")


def _pipeline_spec(data: bytes) -> Any:
    try:
        documents = [doc for doc in yaml.safe_load_all(data) if doc is not None]
    except yaml.YAMLError as error:
        raise _invalid("Failed to read a pipeline spec file: not YAML") from error
    if not documents or not isinstance(documents[0], dict) or not {"pipelineInfo", "root"} <= documents[0].keys():
        raise _invalid("Failed to read a pipeline spec file: not a KFP pipeline spec")
    if len(documents) == 1:
        return documents[0]
    return {"pipeline_spec": documents[0], "platform_spec": documents[1]}


def _create_pipeline(s: KfpStandIn, _m: re.Match[str], _q: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
    name = body.get("name") or body.get("display_name")
    if not name:
        raise _invalid("pipeline name is empty")
    if any(p["name"] == name for p in s.pipelines.values()):
        raise ApiError(HTTPStatus.CONFLICT, _GRPC_ALREADY_EXISTS, f"pipeline {name} already exists")
    pipeline = s._stamp(
        {"pipeline_id": str(uuid.uuid4()), "name": name, "display_name": body.get("display_name", name)}
    )
    pipeline["namespace"] = body.get("namespace", "")
    s.pipelines[pipeline["pipeline_id"]] = pipeline
    return _public(pipeline)


def _get(collection: str, what: str) -> Callable[..., Any]:
    def action(s: KfpStandIn, match: re.Match[str], *_: Any) -> Any:
        item = getattr(s, collection).get(match.group(1))
        if item is None:
            raise _not_found(f"{what} {match.group(1)}")
        return _public(item)

    return action


def _list_versions(s: KfpStandIn, match: re.Match[str], query: dict[str, str], *_: Any) -> Any:
    if match.group(1) not in s.pipelines:
        raise _not_found(f"pipeline {match.group(1)}")
    return _page([v for v in s.versions.values() if v["pipeline_id"] == match.group(1)], query, "pipeline_versions")


def _get_version(s: KfpStandIn, match: re.Match[str], *_: Any) -> Any:
    version = s.versions.get(match.group(2))
    if version is None or version["pipeline_id"] != match.group(1):
        raise _not_found(f"pipeline version {match.group(2)}")
    return _public(version)


def _create_experiment(s: KfpStandIn, _m: re.Match[str], _q: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
    name = body.get("display_name")
    if not name:
        raise _invalid("experiment display_name is empty")
    if any(e["display_name"] == name for e in s.experiments.values()):
        raise ApiError(HTTPStatus.CONFLICT, _GRPC_ALREADY_EXISTS, f"experiment {name} already exists")
    experiment = s._stamp({"experiment_id": str(uuid.uuid4()), "display_name": name, "namespace": ""})
    experiment["storage_state"] = "AVAILABLE"
    s.experiments[experiment["experiment_id"]] = experiment
    return _public(experiment)


def _list_recurring_runs(s: KfpStandIn, _m: re.Match[str], query: dict[str, str], *_: Any) -> Any:
    jobs = [
        j for j in s.recurring_runs.values() if j["experiment_id"] == query.get("experiment_id", j["experiment_id"])
    ]
    return _page(jobs, query, "recurringRuns")  # the SDK model maps this list to the camelCase JSON name


def _list_runs(s: KfpStandIn, _m: re.Match[str], query: dict[str, str], *_: Any) -> Any:
    runs = [r for r in s.runs.values() if r["experiment_id"] == query.get("experiment_id", r["experiment_id"])]
    return _page(runs, query, "runs")


def _delete_recurring_run(s: KfpStandIn, match: re.Match[str], *_: Any) -> Any:
    if s.recurring_runs.pop(match.group(1), None) is None:
        raise _not_found(f"recurring run {match.group(1)}")
    return {}


_ID = r"([^/:]+)"
_API = "/apis/v2beta1"
_ROUTES: list[tuple[str, str, Callable[..., Any]]] = [
    ("POST", f"{_API}/pipelines/upload", lambda s, m, q, b, ct, raw: _public(s._upload(q, ct, raw, None))),
    (
        "POST",
        f"{_API}/pipelines/upload_version",
        lambda s, m, q, b, ct, raw: _public(s._upload(q, ct, raw, q.get("pipelineid") or "")),
    ),
    ("POST", f"{_API}/pipelines", _create_pipeline),
    ("GET", f"{_API}/pipelines", lambda s, m, q, *_: _page(list(s.pipelines.values()), q, "pipelines")),
    ("GET", f"{_API}/pipelines/{_ID}", _get("pipelines", "pipeline")),
    ("GET", f"{_API}/pipelines/{_ID}/versions", _list_versions),
    ("GET", f"{_API}/pipelines/{_ID}/versions/{_ID}", _get_version),
    ("POST", f"{_API}/experiments", _create_experiment),
    ("GET", f"{_API}/experiments", lambda s, m, q, *_: _page(list(s.experiments.values()), q, "experiments")),
    ("GET", f"{_API}/experiments/{_ID}", _get("experiments", "experiment")),
    ("POST", f"{_API}/runs", lambda s, m, q, b, *_: _public(s._create_run(b))),
    ("GET", f"{_API}/runs", _list_runs),
    ("GET", f"{_API}/runs/{_ID}", lambda s, m, *_: _public(s._poll_run(m.group(1)))),
    ("POST", f"{_API}/recurringruns", lambda s, m, q, b, *_: _public(s._create_recurring_run(b))),
    ("GET", f"{_API}/recurringruns", _list_recurring_runs),
    ("GET", f"{_API}/recurringruns/{_ID}", _get("recurring_runs", "recurring run")),
    ("DELETE", f"{_API}/recurringruns/{_ID}", _delete_recurring_run),
]


class _Handler(BaseHTTPRequestHandler):
    owner: KfpStandIn

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def _answer(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if method == "GET" and parts.path == f"{_API}/healthz":
            self._answer(*self.owner.healthz())
            return
        try:
            payload = self.owner.handle(method, parts.path, query, self.headers.get("Content-Type", ""), raw)
        except ApiError as error:
            if "/upload" in parts.path:  # the upload server writes its own error shape
                self._answer(error.status, {"error_message": error.message, "error_details": error.message})
            else:
                self._answer(error.status, {"error": error.message, "code": error.code, "message": error.message})
            return
        self._answer(200, payload)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")


def iter_requests(standin: KfpStandIn, method: str, path_prefix: str) -> Iterator[Any]:
    """The JSON bodies of the recorded requests with `method` whose path starts with `path_prefix`."""
    for recorded_method, path, body in list(standin.requests):
        if recorded_method == method and path.startswith(path_prefix):
            yield body
