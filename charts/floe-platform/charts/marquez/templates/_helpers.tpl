{{/* The parent release's fullname (the same rule as floe-platform.fullname). */}}
{{- define "marquez.parentFullname" -}}
{{- if contains "floe-platform" .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-floe-platform" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Host of the database Marquez uses, by the manifest's choice. */}}
{{- define "marquez.dbHost" -}}
{{- if eq .Values.database "dedicated" }}
{{- printf "%s-marquez-db" (include "marquez.parentFullname" .) }}
{{- else }}
{{- printf "%s-postgresql" (include "marquez.parentFullname" .) }}
{{- end }}
{{- end }}

{{- define "marquez.secretName" -}}
{{- default (printf "%s-credentials" (include "marquez.parentFullname" .)) .Values.global.existingSecret }}
{{- end }}
