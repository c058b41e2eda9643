"""Where a local platform lives and which ports it uses; saved so every command agrees."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

from pydantic import Field

from floe import config
from floe.errors import PlatformError
from floe.typedef import FloeModel

# Base ports; a platform adds its port offset to each so two platforms can share a machine.
BASE_PORTS: dict[str, int] = {
    "postgres": 15432,
    "s3": 8333,
    "iceberg": 8181,
    "dagster": 3000,
    "weed_master": 9333,
    "weed_volume": 9340,
    "weed_filer": 8888,
    "weed_admin": 23646,
    "otlp_grpc": 4317,
    "otlp_http": 4318,
    "phoenix": 6006,
    "phoenix_grpc": 6007,
    "prometheus": 9090,
    "pushgateway": 9091,
    "lineage": 5000,
    "registry": 5100,
    "policy_gate": 8282,
}
GRPC_OFFSET = 10000
SETTINGS_FILE = "platform.json"
# A Unix socket's path may not exceed 107 bytes; sockets go under the home only while its run
# folder leaves room for their names.
SOCKET_DIR_MAX = 80


class PlatformSettings(FloeModel):
    """One local platform: its home folder, port offset and the workspace it serves."""

    home: Path
    port_offset: int = Field(default=0, ge=0, le=20000)
    workspace: Path | None = Field(default=None, description="Compiled workspace.yaml.")
    manifest: Path | None = Field(
        default=None, description="The platform team's manifest.yaml, registered at 'up'."
    )
    manifest_sha256: str | None = Field(
        default=None, description="Its digest when registered: artifacts must carry the same."
    )
    triggers: bool = Field(
        default=True,
        description="Schedules and sensors start running as soon as a product is served "
        "(off: they are registered stopped, and start from the Dagster UI or API).",
    )

    def port(self, name: str) -> int:
        return BASE_PORTS[name] + self.port_offset

    def grpc_port(self, name: str) -> int:
        return self.port(name) + GRPC_OFFSET

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port(name)}"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def socket_dir(self) -> Path:
        """Where the services' Unix sockets live: the run folder, or, for a home deep in the
        file system, a short folder of the temp dir that belongs to this home alone."""
        if len(str(self.run_dir)) <= SOCKET_DIR_MAX:
            return self.run_dir
        key = hashlib.sha256(str(self.home.resolve()).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"floe-sockets-{key}"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    def ensure_home(self) -> Path:
        """The home holds credentials, logs, table data and metric stores: its owner's only."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.home.chmod(0o700)
        return self.home

    def save(self) -> None:
        self.ensure_home()
        (self.home / SETTINGS_FILE).write_text(self.model_dump_json(indent=2), encoding="utf-8")


def load(
    home: Path | None = None,
    port_offset: int | None = None,
    workspace: Path | None = None,
    manifest: Path | None = None,
    triggers: bool | None = None,
) -> PlatformSettings:
    """Saved settings of the platform at ``home`` (default FLOE_HOME), overridden by arguments.

    A ``manifest`` registers the platform team's manifest: its digest is what every artifact
    this platform runs must have been compiled against.
    """
    home = (home or config.home()).resolve()
    saved: dict[str, object] = {}
    path = home / SETTINGS_FILE
    if path.is_file():
        saved = json.loads(path.read_text(encoding="utf-8"))
    saved["home"] = home
    if triggers is not None:
        saved["triggers"] = triggers
    if port_offset is not None:
        saved["port_offset"] = port_offset
    if workspace is not None:
        saved["workspace"] = workspace.resolve()
    if manifest is not None:
        if not manifest.is_file():
            raise PlatformError(
                f"manifest '{manifest}' does not exist",
                hint="pass the platform team's manifest.yaml with --manifest",
            )
        saved["manifest"] = manifest.resolve()
        saved["manifest_sha256"] = hashlib.sha256(manifest.read_bytes()).hexdigest()
    return PlatformSettings.model_validate(saved)
