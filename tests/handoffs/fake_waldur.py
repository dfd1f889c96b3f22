"""A Waldur stand-in on loopback that holds the hand-off to Waldur's published contract.

Every request is matched to an operation of the vendored OpenAPI description
(handoffs/contract/waldur-openapi-subset.json, cut from Waldur 8.0.5's): an unknown path or
method, a query parameter the operation does not declare or of the wrong type, or a JSON body
that does not validate against the operation's request schema (readOnly fields refused) is
answered 400 and recorded in `violations`. Every answer is validated against the operation's
response schema (writeOnly fields refused) before it is sent; one that is not is recorded too.
It keeps projects, orders and resources in memory: an order is `executing` when placed and
`done` (with its resource) after `polls_until_done` reads.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, oas30_format_checker

import handoffs

CONTRACT = Path(handoffs.__file__).parent / "contract" / "waldur-openapi-subset.json"
TOKEN = "fake-waldur-token-for-tests"
NOW = "2026-12-01T10:00:00Z"


def load_contract() -> dict[str, Any]:
    return json.loads(CONTRACT.read_text(encoding="utf-8"))


@dataclass
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]


@dataclass
class FakeWaldur:
    contract: dict[str, Any] = field(default_factory=load_contract)
    polls_until_done: int = 1
    order_final_state: str = "done"
    drop_next: int = 0  # close the connection without an answer this many times
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    reads: dict[str, int] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    url: str = ""

    def __post_init__(self) -> None:
        self.operations = [
            Operation(method.upper(), path, re.compile(_regex(path)), spec)
            for path, methods in self.contract["paths"].items()
            for method, spec in methods.items()
        ]

    # --- the contract ----------------------------------------------------------------------

    def _schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {**schema, "components": self.contract["components"]}

    def _errors(self, validator: type, schema: dict[str, Any], value: Any) -> list[str]:
        checker = validator(self._schema(schema), format_checker=oas30_format_checker)
        return [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in checker.iter_errors(value)
        ]

    def _parameters(self, op: Operation) -> dict[str, dict[str, Any]]:
        found = {}
        for parameter in op.spec.get("parameters", []):
            if "$ref" in parameter:
                parameter = self.contract["components"]["parameters"][
                    parameter["$ref"].rsplit("/", 1)[1]
                ]
            found[parameter["name"]] = parameter
        return found

    def check_request(self, op: Operation, query: dict[str, list[str]], body: Any) -> list[str]:
        problems = []
        declared = self._parameters(op)
        for name, values in query.items():
            parameter = declared.get(name)
            if parameter is None or parameter["in"] != "query":
                problems.append(f"query parameter {name!r} is not in the contract")
                continue
            schema = parameter["schema"]
            value: Any = values if schema.get("type") == "array" else values[-1]
            value = _coerce(schema, value)
            problems += [
                f"query {name}: {e}" for e in self._errors(OAS30WriteValidator, schema, value)
            ]
        content = op.spec.get("requestBody", {}).get("content", {})
        if op.method in ("POST", "PUT", "PATCH"):
            if "application/json" not in content:
                problems.append("a body where the contract takes none")
            else:
                schema = content["application/json"]["schema"]
                problems += [f"body {e}" for e in self._errors(OAS30WriteValidator, schema, body)]
        return problems

    def check_response(self, op: Operation, status: int, body: Any) -> list[str]:
        response = op.spec["responses"].get(str(status))
        if response is None:
            return [f"status {status} is not in the contract"]
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        return self._errors(OAS30ReadValidator, schema, body) if schema else []

    # --- Waldur's behaviour ----------------------------------------------------------------

    def answer(self, op: Operation, params: dict[str, str], query: dict[str, list[str]], body: Any):
        key = f"{op.method} {op.template}"
        if key == "GET /api/projects/":
            wanted = query.get("backend_id", [None])[-1]
            return 200, [p for p in self.projects.values() if wanted in (None, p["backend_id"])]
        if key == "POST /api/projects/":
            pk = uuid.uuid4().hex
            customer = body["customer"].rstrip("/").rsplit("/", 1)[1]
            self.projects[pk] = {
                "url": f"{self.url}/api/projects/{pk}/",
                "uuid": _dashed(pk),
                "name": body["name"],
                "customer": body["customer"],
                "customer_uuid": _dashed(customer),
                "backend_id": body.get("backend_id", ""),
                "description": body.get("description", ""),
                "created": NOW,
                "start_date": body.get("start_date"),
                "end_date": body.get("end_date"),
            }
            return 201, self.projects[pk]
        if key == "GET /api/marketplace-orders/":
            project = query.get("project_uuid", [None])[-1]
            return 200, [
                o
                for o in self.orders.values()
                if project is None or _same(project, o["project_uuid"])
            ]
        if key == "POST /api/marketplace-orders/":
            pk = uuid.uuid4().hex
            project = body["project"].rstrip("/").rsplit("/", 1)[1]
            self.orders[pk] = {
                "uuid": _dashed(pk),
                "url": f"{self.url}/api/marketplace-orders/{pk}/",
                "offering": body["offering"],
                "project_uuid": _dashed(project),
                "state": "executing",
                "attributes": body.get("attributes", {}),
                "limits": body.get("limits", {}),
                "created": NOW,
                "modified": NOW,
                "type": "Create",
            }
            return 201, self.orders[pk]
        if key == "GET /api/marketplace-orders/{uuid}/":
            order = self.orders.get(params["uuid"].replace("-", ""))
            if order is None:
                return 404, None
            reads = self.reads[order["uuid"]] = self.reads.get(order["uuid"], 0) + 1
            if reads >= self.polls_until_done and order["state"] == "executing":
                order["state"] = self.order_final_state
                if self.order_final_state == "done":
                    resource = uuid.uuid4().hex
                    order["marketplace_resource_uuid"] = _dashed(resource)
                    self.resources[resource] = {
                        "uuid": _dashed(resource), "backend_id": _account(order),
                        "name": order["attributes"].get("name", ""), "state": "OK", "created": NOW,
                    }  # fmt: skip
                else:
                    order["error_message"] = "The site refused the order."
            return 200, order
        if key == "GET /api/marketplace-resources/{uuid}/":
            resource = self.resources.get(params["uuid"].replace("-", ""))
            return (200, resource) if resource else (404, None)
        return 404, None

    def handle(self, method: str, target: str, headers: Any, raw: bytes) -> tuple[int, Any]:
        split = urlsplit(target)
        query = parse_qs(split.query, keep_blank_values=True)
        body = json.loads(raw) if raw else None
        self.requests.append((method, split.path, body))
        for op in self.operations:
            match = op.pattern.fullmatch(split.path)
            if match and op.method == method:
                break
        else:
            self.violations.append(f"{method} {split.path}: no such operation in the contract")
            return 400, {"detail": "not in the contract"}
        if headers.get("Authorization") != f"Token {TOKEN}":
            self.violations.append(f"{method} {split.path}: no token")
            return 401, {"detail": "no token"}
        problems = self.check_request(op, query, body)
        if problems:
            self.violations += [f"{method} {split.path}: {p}" for p in problems]
            return 400, {"detail": problems}
        status, answer = self.answer(op, match.groupdict(), query, body)
        if status < 300:
            problems = self.check_response(op, status, answer)
            if problems:
                self.violations += [f"answer to {method} {split.path}: {p}" for p in problems]
                return 500, {"detail": problems}
        return status, answer


def _account(order: dict[str, Any]) -> str:
    """What Waldur's Slurm plugin names the account: from the resource's name."""
    return "aif_" + order["attributes"].get("name", "x").replace("-", "_")


def _dashed(hex_: str) -> str:
    return str(uuid.UUID(hex_))


def _same(a: str, b: str) -> bool:
    return uuid.UUID(a) == uuid.UUID(b)


def _regex(template: str) -> str:
    return re.sub(
        r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
    )


def _coerce(schema: dict[str, Any], value: Any) -> Any:
    if isinstance(value, list):
        return [_coerce(schema.get("items", {}), v) for v in value]
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?\d+", value):
        return int(value)
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


@contextmanager
def running(fake: FakeWaldur) -> Iterator[FakeWaldur]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if fake.drop_next > 0:
                fake.drop_next -= 1
                self.close_connection = True
                self.connection.shutdown(2)
                return
            status, body = fake.handle(self.command, self.path, self.headers, raw)
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if isinstance(body, list):
                self.send_header("X-Result-Count", str(len(body)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
