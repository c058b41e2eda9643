"""``python -m floe.promotion.policy_gate``: the policy gate service of the local target.

It speaks OPA's REST data API (``POST /v1/data/<package path>/<rule>`` with ``{"input": ...}``
answers ``{"result": ...}``) over the same ``.rego`` files an OPA server would load, evaluated by
regopy. Promotion calls it over HTTP like any OPA, so the gate can be down and promotion must
then block. Policies are read once, at start: changing them means restarting the service.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import regopy  # type: ignore[import-untyped]

from floe.observability.logging import configure, get_logger

log = get_logger(__name__)
PREFIX = "/v1/data/"


class Policies:
    """The loaded modules; regopy's interpreter is not shared between threads."""

    def __init__(self, folder: Path) -> None:
        files = sorted(folder.glob("*.rego")) if folder.is_dir() else []
        self.modules = {p.name: p.read_text(encoding="utf-8") for p in files}
        self._lock = threading.Lock()
        for name, text in self.modules.items():  # fail at start on a policy that does not parse
            regopy.Interpreter().add_module(name, text)

    def evaluate(self, path: str, input_doc: Any) -> Any:
        """The value of ``data.<path>`` for this input, or None where it is undefined."""
        query = "x := data." + ".".join(part for part in path.split("/") if part)
        with self._lock:
            interpreter = regopy.Interpreter()
            for name, text in self.modules.items():
                interpreter.add_module(name, text)
            interpreter.set_input_term(json.dumps(input_doc))
            output = interpreter.query(query)
            if not output.ok():
                raise ValueError(str(output))
            text = str(output)
            if '"bindings"' not in text:  # the rule is undefined for this input
                return None
            return json.loads(str(output.binding("x")))


def _handler(policies: Policies) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/health":
                self._send(200, {"policies": sorted(policies.modules)})
            else:
                self._send(404, {"code": "resource_not_found", "message": self.path})

        def do_POST(self) -> None:
            if not self.path.startswith(PREFIX):
                self._send(404, {"code": "resource_not_found", "message": self.path})
                return
            try:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                result = policies.evaluate(self.path[len(PREFIX) :], body.get("input"))
            except (ValueError, regopy.RegoError) as exc:
                self._send(400, {"code": "invalid_parameter", "message": str(exc)[:500]})
                return
            self._send(200, {} if result is None else {"result": result})

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("policy_gate.request", line=format % args)

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m floe.promotion.policy_gate",
        description="Evaluate Rego policies over OPA's REST data API (127.0.0.1 only).",
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--policies",
        type=Path,
        required=True,
        help="folder of .rego files (none loaded: every rule is undefined)",
    )
    args = parser.parse_args(argv)
    configure()
    policies = Policies(args.policies)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _handler(policies))
    log.info("policy_gate.listening", port=args.port, policies=sorted(policies.modules))
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
