"""Checks requests against a Google API discovery document, so the fake server cannot drift from the real API.

The androidpublisher v3 document comes from google-api-python-client (a test-only dependency), which ships the
documents of every Google API. A request passes when some method of the resource has its HTTP method and path,
its query parameters are that method's query parameters (of the right type), and its JSON body holds only
fields of the method's request schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any
from urllib.parse import unquote, urlsplit

from closedloop.testing.platform import Request


def load_document(name: str = "androidpublisher.v3.json") -> dict[str, Any]:
    """The discovery document as google-api-python-client ships it."""
    text = files("googleapiclient.discovery_cache").joinpath("documents", name).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@dataclass(frozen=True)
class Method:
    id: str
    http_method: str
    pattern: re.Pattern[str]
    parameters: Mapping[str, Mapping[str, Any]]
    request_schema: str | None


def _pattern(prefix: str, template: str) -> re.Pattern[str]:
    """A path template such as ``.../reviews/{reviewId}:reply`` as an anchored regular expression."""
    parts = re.split(r"\{\+?(\w+)\}", template)
    pieces = [re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)" for index, part in enumerate(parts)]
    return re.compile("^" + re.escape(prefix) + "".join(pieces) + "$")


TYPE_CHECKS: dict[str, Callable[[str], bool]] = {
    "integer": lambda value: re.fullmatch(r"-?\d+", value) is not None,
    "boolean": lambda value: value in ("true", "false"),
    "string": lambda value: True,
}


class DiscoveryChecker:
    """The methods of one resource (``reviews``) of a discovery document, and what a request may look like."""

    def __init__(self, document: Mapping[str, Any], resource: str) -> None:
        self.document = document
        prefix = urlsplit(document["rootUrl"]).path + document["servicePath"]
        self.methods = [
            Method(
                id=method["id"],
                http_method=method["httpMethod"],
                pattern=_pattern(prefix, method.get("flatPath") or method["path"]),
                parameters=method.get("parameters", {}),
                request_schema=(method.get("request") or {}).get("$ref"),
            )
            for method in document["resources"][resource]["methods"].values()
        ]

    def problems(self, request: Request) -> list[str]:
        """What is wrong with one request; empty when the API documents it as sent."""
        where = f"{request.method} {request.path}"
        matches = [(method, found) for method in self.methods if (found := method.pattern.match(request.path))]
        if not matches:
            return [f"{where}: no method of the discovery document has this path"]
        same_verb = [(method, found) for method, found in matches if method.http_method == request.method]
        if not same_verb:
            allowed = ", ".join(f"{method.id} ({method.http_method})" for method, _found in matches)
            return [f"{where}: the path belongs to {allowed}, not to a {request.method}"]
        method, found = same_verb[0]
        problems = [
            f"{where}: path parameter {name!r} is empty"
            for name, value in found.groupdict().items()
            if not unquote(value)
        ]
        problems += self._query_problems(method, request, where)
        problems += self._body_problems(method, request, where)
        return problems

    def _query_problems(self, method: Method, request: Request, where: str) -> list[str]:
        problems = []
        for name, values in request.query_lists.items():
            spec = method.parameters.get(name)
            if spec is None or spec.get("location") != "query":
                problems.append(f"{where}: {method.id} has no query parameter {name!r}")
                continue
            if len(values) > 1 and not spec.get("repeated"):
                problems.append(f"{where}: query parameter {name!r} of {method.id} is not repeated")
            check = TYPE_CHECKS.get(spec.get("type", "string"), TYPE_CHECKS["string"])
            problems += [
                f"{where}: query parameter {name!r} must be {spec['type']}; got {value!r}"
                for value in values
                if not check(value)
            ]
        for name, spec in method.parameters.items():
            if spec.get("location") == "query" and spec.get("required") and name not in request.query_lists:
                problems.append(f"{where}: {method.id} requires query parameter {name!r}")
        return problems

    def _body_problems(self, method: Method, request: Request, where: str) -> list[str]:
        body = request.json if request.json is not None else request.text
        if method.request_schema is None:
            return [] if body == "" else [f"{where}: {method.id} takes no request body"]
        if not isinstance(body, dict):
            return [f"{where}: {method.id} takes a JSON object ({method.request_schema}); got {body!r}"]
        properties = self.document["schemas"][method.request_schema]["properties"]
        problems = []
        for name, value in body.items():
            if name not in properties:
                problems.append(f"{where}: {method.request_schema} has no field {name!r}")
            elif properties[name].get("type") == "string" and not isinstance(value, str):
                problems.append(f"{where}: {method.request_schema}.{name} must be a string; got {value!r}")
        return problems

    def all_problems(self, requests: Iterable[Request]) -> list[str]:
        return [problem for request in requests for problem in self.problems(request)]
