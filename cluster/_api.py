"""Turning the generated KFP client's exceptions into one-line `PipelineError`s, and paging its lists."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import urllib3
from kfp_server_api.exceptions import ApiException  # type: ignore[import-untyped]

from cluster.session import PORT_FORWARD_HINT, KfpSession
from components.common.errors import PipelineError

PAGE_SIZE = 100


def _server_message(error: Any) -> str:
    """The server's own message from an ApiException body (grpc-gateway: ``message``; upload: ``error_message``)."""
    body = getattr(error, "body", None)
    text = body.decode(errors="replace") if isinstance(body, bytes) else str(body or "")
    try:
        parsed = json.loads(text)
    except ValueError:
        return text.strip() or str(getattr(error, "reason", "") or "")
    if isinstance(parsed, dict):
        for key in ("message", "error_message", "error"):
            if parsed.get(key):
                return str(parsed[key])
    return text.strip()


@contextlib.contextmanager
def api_call(action: str, host: str, fix: str = "check the KFP API server logs") -> Iterator[None]:
    """Run SDK calls for `action`; an HTTP error or a lost connection becomes one line naming both."""
    try:
        yield
    except ApiException as error:
        status = getattr(error, "status", 0)
        raise PipelineError(
            f"KFP at {host} refused to {action} (HTTP {status}: {_server_message(error)}): {fix}"
        ) from error
    except urllib3.exceptions.HTTPError as error:
        raise PipelineError(f"KFP not reachable at {host} while trying to {action}: {PORT_FORWARD_HINT}") from error


def equals_filter(key: str, value: str) -> str:
    """A v2beta1 list filter: `key` EQUALS `value` (the JSON form the SDK sends)."""
    return json.dumps({"predicates": [{"operation": "EQUALS", "key": key, "string_value": value}]})


def find_named(session: KfpSession, action: str, list_call: Callable[..., Any], items: str, name: str) -> list[Any]:
    """Every item (all pages) of the v2beta1 list call `list_call` whose display name is `name`: filtered by the
    server, and checked again here. `list_call` takes page_token, page_size and filter; `action` names it in errors."""
    with api_call(action, session.host):
        found = paged(
            lambda token: list_call(page_token=token, page_size=PAGE_SIZE, filter=equals_filter("display_name", name)),
            items,
        )
        return [item for item in found if item.display_name == name]


def paged(fetch: Callable[[str], Any], items: str) -> Iterator[Any]:
    """Every item of a v2beta1 list call, following ``next_page_token`` (`fetch` takes the page token)."""
    token = ""
    while True:
        page = fetch(token)
        yield from getattr(page, items, None) or []
        token = getattr(page, "next_page_token", None) or ""
        if not token:
            return
