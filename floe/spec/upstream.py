"""The public floe project's file vocabulary, read as ours.

A team that wrote its floe.yaml and manifest.yaml for upstream floe can compile them here
unchanged: ``transforms:`` (``tier``, ``tags``, ``dependsOn``, ``qualityChecks``), ``compute:
{default, overrides}``, ``outputPorts``, and a manifest of ``kind: Manifest`` naming plugins such
as ``polaris`` and ``marquez`` with nested ``oauth2`` credentials and ``lineage_backend`` /
``telemetry_backend``. Each file is translated into our canonical form before validation (the
artifact and the JSON Schema stay ours). A field that has no meaning here yet is reported as a
warning naming it; nothing is dropped silently. A literal secret is refused: secrets are
references (``{env: VAR}``) in floe, whichever vocabulary wrote them.
"""

from __future__ import annotations

from typing import Any

from floe.errors import SpecValidationError

UPSTREAM_SPEC_KEYS = {
    "transforms",
    "outputPorts",
    "output_ports",
    "inputPorts",
    "input_ports",
}
PLUGIN_RENAMES = {
    ("catalog", "polaris"): "iceberg-rest",
    ("lineage", "marquez"): "openlineage",
    ("telemetry", "jaeger"): "otlp",
    ("telemetry", "otel"): "otlp",
    ("telemetry", "opentelemetry"): "otlp",
}
DEFAULT_S3_SECRETS = {
    "access_key_id": {"env": "FLOE_S3_ACCESS_KEY_ID"},
    "secret_access_key": {"env": "FLOE_S3_SECRET_ACCESS_KEY"},
}


def is_upstream_spec(raw: dict[str, Any]) -> bool:
    return bool(UPSTREAM_SPEC_KEYS & set(raw)) or isinstance(raw.get("compute"), dict)


def is_upstream_manifest(raw: dict[str, Any]) -> bool:
    return raw.get("kind") == "Manifest"


def _unused(warnings: list[str], file: str, path: str, what: str) -> None:
    warnings.append(f"{file}: {path} has no meaning in floe yet ({what}); it was not used")


def translate_spec(
    raw: dict[str, Any], file: str = "floe.yaml"
) -> tuple[dict[str, Any], list[str]]:
    """Upstream floe.yaml -> ours, and a warning per field not used."""
    warnings: list[str] = []
    out = {k: v for k, v in raw.items() if k not in UPSTREAM_SPEC_KEYS and k != "compute"}
    models: dict[str, dict[str, Any]] = {m["name"]: dict(m) for m in raw.get("models") or []}
    compute = raw.get("compute")
    if isinstance(compute, dict):
        if compute.get("default"):
            out["compute"] = compute["default"]
        for name, engine in (compute.get("overrides") or {}).items():
            models.setdefault(name, {"name": name})["compute"] = engine
        for key in sorted(set(compute) - {"default", "overrides"}):
            _unused(warnings, file, f"compute.{key}", "floe.yaml selects an engine only")
    elif compute is not None:
        out["compute"] = compute
    unused: dict[str, list[str]] = {}
    for i, transform in enumerate(raw.get("transforms") or []):
        if not isinstance(transform, dict) or "name" not in transform:
            raise SpecValidationError(
                file, [f"transforms.{i}: each transform needs a 'name'. Fix: add name: <dbt model>"]
            )
        entry = models.setdefault(transform["name"], {"name": transform["name"]})
        if transform.get("tier"):
            entry["tier"] = transform["tier"]
        if transform.get("compute"):
            entry["compute"] = transform["compute"]
        for key in sorted(set(transform) - {"name", "tier", "compute"}):
            unused.setdefault(key, []).append(transform["name"])
    reasons = {
        "dependsOn": "dependencies are read from the dbt project's refs",
        "tags": "tag models in dbt",
        "description": "describe models in the dbt project's schema.yml",
        "qualityChecks": "declare checks as models[].quality expectations",
    }
    for key, names in sorted(unused.items()):
        _unused(
            warnings,
            file,
            f"transforms[].{key} (on {', '.join(names)})",
            reasons.get(key, "unknown transform field"),
        )
    for key in ("outputPorts", "output_ports", "inputPorts", "input_ports"):
        if key in raw:
            _unused(warnings, file, key, "tables are the product's Iceberg namespace")
    governance = dict(out.get("governance") or {})
    for key in sorted(set(governance) - {"require_model_tests", "max_retention_hours"}):
        _unused(warnings, file, f"governance.{key}", "the platform's manifest governs")
        governance.pop(key)
    if "governance" in out:
        out["governance"] = governance
    if models:
        out["models"] = list(models.values())
    return out, warnings


def _secret(value: Any, file: str, path: str) -> dict[str, str]:
    if isinstance(value, dict) and set(value) == {"env"}:
        return {"env": str(value["env"])}
    raise SpecValidationError(
        file,
        [
            f"{path}: a literal secret is not accepted. Fix: write {{env: VARIABLE}} and set "
            "the variable where the platform runs"
        ],
    )


def _plugin(
    choice: dict[str, Any], kind: str, known: set[str], file: str, warnings: list[str]
) -> dict[str, Any]:
    name = str(choice.get("type", ""))
    name = PLUGIN_RENAMES.get((kind, name), name)
    config = dict(choice.get("config") or {})
    for key in sorted(set(config) - known):
        _unused(
            warnings, file, f"plugins.{kind}.config.{key}", f"plugin '{name}' has no such setting"
        )
        config.pop(key)
    if "version" in choice:
        _unused(warnings, file, f"plugins.{kind}.version", "the installed distribution decides")
    return {"type": name, "config": config}


def translate_manifest(
    raw: dict[str, Any], file: str = "manifest.yaml"
) -> tuple[dict[str, Any], list[str]]:
    """Upstream ``kind: Manifest`` -> our PlatformManifest, and a warning per unused field."""
    warnings: list[str] = []
    plugins_in = dict(raw.get("plugins") or {})
    plugins: dict[str, Any] = {}
    defaults: dict[str, Any] = {}

    compute = plugins_in.pop("compute", None) or {"type": "duckdb"}
    plugins["compute"] = _plugin(compute, "compute", {"threads", "memory_limit"}, file, warnings)
    plugins["compute"]["approved"] = compute.get("approved") or [plugins["compute"]["type"]]

    orchestrator = plugins_in.pop("orchestrator", None) or {"type": "dagster"}
    orch_config = dict(orchestrator.get("config") or {})
    if "default_schedule" in orch_config:
        defaults["schedule"] = {"cron": orch_config.pop("default_schedule")}
    plugins["orchestrator"] = _plugin(
        {**orchestrator, "config": orch_config}, "orchestrator", set(), file, warnings
    )
    plugins["dbt"] = plugins_in.pop("dbt", None) or {"type": "dbt-core"}

    catalog = plugins_in.pop("catalog", None)
    if catalog is not None:
        config = dict(catalog.get("config") or {})
        oauth = dict(config.pop("oauth2", None) or {})
        for key in ("client_id", "client_secret"):
            if key in oauth:
                config[key] = _secret(oauth.pop(key), file, f"plugins.catalog.config.oauth2.{key}")
        if "scope" in oauth:
            config["scope"] = oauth.pop("scope")
        for key in sorted(oauth):
            _unused(warnings, file, f"plugins.catalog.config.oauth2.{key}", "derived from the uri")
        for key in ("client_id", "client_secret"):
            if key in config and not isinstance(config[key], dict):
                config[key] = _secret(config[key], file, f"plugins.catalog.config.{key}")
        plugins["catalog"] = _plugin(
            {**catalog, "config": config},
            "catalog",
            {"uri", "warehouse", "client_id", "client_secret", "scope"},
            file,
            warnings,
        )

    storage = plugins_in.pop("storage", None)
    if storage is not None:
        config = dict(storage.get("config") or {})
        if "bucket" in config:
            config["buckets"] = [config.pop("bucket")]
        if "path_style_access" in config:
            config["path_style"] = config.pop("path_style_access")
        for key, ref in DEFAULT_S3_SECRETS.items():
            if key in config:
                config[key] = _secret(config[key], file, f"plugins.storage.config.{key}")
            else:
                config[key] = ref
                warnings.append(
                    f"{file}: plugins.storage.config.{key} is not set; using {{env: "
                    f"{ref['env']}}}, the variable the local platform sets"
                )
        plugins["storage"] = _plugin(
            {**storage, "config": config},
            "storage",
            {"endpoint", "region", "buckets", "path_style", *DEFAULT_S3_SECRETS},
            file,
            warnings,
        )

    observability = dict(raw.get("observability") or {})
    backends = {"lineage": "lineage_backend", "telemetry": "telemetry_backend"}
    for kind, upstream_key in backends.items():
        choice = plugins_in.pop(upstream_key, None) or plugins_in.pop(kind, None)
        if choice is not None:
            known = (
                {"url", "endpoint", "timeout_seconds"}
                if kind == "lineage"
                else {
                    "endpoint",
                    "pushgateway",
                    "timeout_seconds",
                }
            )
            plugins[kind] = _plugin(choice, kind, known, file, warnings)
    tracing = observability.pop("tracing", None)
    if isinstance(tracing, dict) and tracing.get("endpoint") and "telemetry" not in plugins:
        plugins["telemetry"] = {"type": "otlp", "config": {"endpoint": tracing["endpoint"]}}
        warnings.append(
            f"{file}: observability.tracing.endpoint is used as the OTLP/HTTP endpoint; a gRPC "
            "port (4317) needs the collector's HTTP port (4318) instead"
        )
    lineage = observability.pop("lineage", None)
    if isinstance(lineage, dict) and lineage.get("endpoint") and "lineage" not in plugins:
        url = str(lineage["endpoint"]).removesuffix("/api/v1/lineage")
        plugins["lineage"] = {"type": "openlineage", "config": {"url": url}}
    for key in sorted(observability):
        _unused(warnings, file, f"observability.{key}", "logs are structlog JSON")

    for kind in sorted(plugins_in):
        choice = plugins_in[kind]
        if kind in ("ingestion", "semantic_layer", "semantic"):
            _unused(warnings, file, f"plugins.{kind}", "its plugin kind is an ABC only")
        else:
            plugins[kind] = choice

    governance_in = dict(raw.get("governance") or {})
    # Upstream has no naming rule: any lower-case dbt name, unless the manifest says otherwise.
    governance: dict[str, Any] = {"model_name_pattern": "^[a-z][a-z0-9_]*$"}
    gates = governance_in.pop("quality_gates", None)
    if isinstance(gates, dict):
        coverage = gates.pop("minimum_test_coverage", None)
        if coverage is not None:
            governance["require_model_tests"] = float(coverage) >= 100
            warnings.append(
                f"{file}: governance.quality_gates.minimum_test_coverage={coverage} is read as "
                f"require_model_tests: {str(float(coverage) >= 100).lower()} (floe requires a "
                "test on every model, or does not)"
            )
        for key in sorted(gates):
            _unused(warnings, file, f"governance.quality_gates.{key}", "not enforced yet")
    if "data_retention_days" in governance_in:
        governance["max_retention_hours"] = int(governance_in.pop("data_retention_days")) * 24
    for key in ("model_name_pattern", "require_model_tests", "max_retention_hours"):
        if key in governance_in:
            governance[key] = governance_in.pop(key)
    for key in sorted(governance_in):
        _unused(warnings, file, f"governance.{key}", "not a governance rule floe enforces yet")
    for key in sorted(
        set(raw)
        - {"apiVersion", "kind", "metadata", "plugins", "governance", "observability", "defaults"}
    ):
        _unused(warnings, file, key, "no such manifest section")
    out: dict[str, Any] = {
        "apiVersion": raw.get("apiVersion"),
        "kind": "PlatformManifest",
        "metadata": raw.get("metadata"),
        "plugins": plugins,
        "governance": governance,
    }
    if defaults or raw.get("defaults"):
        out["defaults"] = {**defaults, **(raw.get("defaults") or {})}
    return out, warnings
