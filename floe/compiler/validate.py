"""VALIDATE: schema checks of both files and the checks that need both at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from floe.compiler.load import LoadedInputs
from floe.errors import SpecValidationError
from floe.spec import upstream
from floe.spec.floe_spec import FloeSpec
from floe.spec.loader import validate
from floe.spec.manifest import PlatformManifest


@dataclass(frozen=True)
class ValidatedInputs:
    loaded: LoadedInputs
    spec: FloeSpec
    manifest: PlatformManifest
    warnings: list[str] = field(default_factory=list)


def validate_inputs(loaded: LoadedInputs) -> ValidatedInputs:
    spec_raw, manifest_raw, warnings = loaded.spec_raw, loaded.manifest_raw, []
    # Upstream floe's vocabulary is read as ours; what has no meaning here is reported.
    if upstream.is_upstream_spec(spec_raw):
        spec_raw, found = upstream.translate_spec(spec_raw, loaded.spec_path.name)
        warnings += found
    if upstream.is_upstream_manifest(manifest_raw):
        manifest_raw, found = upstream.translate_manifest(manifest_raw, loaded.manifest_path.name)
        warnings += found
    spec = validate(FloeSpec, spec_raw, loaded.spec_path.name)
    manifest = validate(PlatformManifest, manifest_raw, loaded.manifest_path.name)
    if not (loaded.product_dir / "dbt_project.yml").is_file():
        raise SpecValidationError(
            loaded.spec_path.name,
            [
                "(top level): no dbt_project.yml beside floe.yaml. "
                "Fix: put floe.yaml at the root of the product's dbt project"
            ],
        )
    names = [m.name for m in spec.models]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SpecValidationError(
            loaded.spec_path.name,
            [f"models: '{d}' is listed more than once. Fix: merge its entries" for d in dupes],
        )
    # Two identical checks would be two Dagster asset checks of one name: the code location
    # would not load. Refuse them here, where the file and the fix can be named.
    repeated = [
        f"models[{i}].quality: '{q.expectation}' on column '{q.column}' is listed more than "
        f"once for '{m.name}'. Fix: keep one"
        for i, m in enumerate(spec.models)
        for j, q in enumerate(m.quality)
        if (q.expectation, q.column) in [(p.expectation, p.column) for p in m.quality[:j]]
    ]
    if repeated:
        raise SpecValidationError(loaded.spec_path.name, repeated)
    return ValidatedInputs(loaded=loaded, spec=spec, manifest=manifest, warnings=warnings)
