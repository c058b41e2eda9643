"""The floe-platform Helm chart's side in Python: its values model (and so its
values.schema.json), the values a manifest implies, and the job that applies RBAC to Polaris."""
