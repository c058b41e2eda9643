# The demo platform's promotion policies, loaded by the policy gate (OPA's data API).
# floe asks data.floe.promotion.deny: every message in it blocks the promotion.
package floe.promotion

import rego.v1

# Every environment runs only artifacts compiled against the platform's own manifest.
deny contains msg if {
	input.artifact.manifest_sha256 != input.platform.manifest_sha256
	msg := sprintf(
		"%s was compiled against manifest %s, the platform runs manifest %s",
		[input.product, substring(input.artifact.manifest_sha256, 0, 12), substring(object.get(input.platform, "manifest_sha256", ""), 0, 12)],
	)
}

# Production runs released versions only, never a pre-release such as 1.1.0-rc.1.
deny contains msg if {
	input.target == "prod"
	contains(input.artifact.version, "-")
	msg := sprintf("prod runs released versions only: %s is a pre-release", [input.artifact.version])
}

# Production requires every model to carry at least one dbt test.
deny contains msg if {
	input.target == "prod"
	some model in input.artifact.models
	model.tests == 0
	msg := sprintf("model %s has no dbt test: prod requires every model tested", [model.name])
}
