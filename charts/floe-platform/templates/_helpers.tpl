{{/*
Names are cut at 63 characters: Kubernetes names are DNS labels.
*/}}
{{- define "floe-platform.name" -}}
floe-platform
{{- end }}

{{/* The release-qualified name every object starts with. */}}
{{- define "floe-platform.fullname" -}}
{{- if contains (include "floe-platform.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "floe-platform.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* A component's object name: <fullname>-<component>. Call with (list $ "component"). */}}
{{- define "floe-platform.component.fullname" -}}
{{- $root := index . 0 }}
{{- printf "%s-%s" (include "floe-platform.fullname" $root) (index . 1) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "floe-platform.selectorLabels" -}}
app.kubernetes.io/name: {{ include "floe-platform.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "floe-platform.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | trunc 63 | trimSuffix "-" }}
{{ include "floe-platform.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
floe.dev/environment: {{ .Values.global.environment }}
{{- end }}

{{/*
Selector of one component's pods: release and component only, so that the NetworkPolicies also
select the Marquez sub-chart's pods. Call with (list $ "component").
*/}}
{{- define "floe-platform.componentSelector" -}}
app.kubernetes.io/instance: {{ (index . 0).Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* The one Secret every credential lives in (generated unless the operator brings one). */}}
{{- define "floe-platform.secretName" -}}
{{- default (include "floe-platform.component.fullname" (list . "credentials")) .Values.global.existingSecret }}
{{- end }}

{{/*
The registry's one login (floe's promotion and LOAD log in as it: FLOE_REGISTRY_USER defaults to
it, like the local target's registry); its password is the Secret's registry-password.
*/}}
{{- define "floe-platform.registryUser" -}}
floe
{{- end }}

{{/* An env var read from the credentials Secret. Call with (list $ "ENV_NAME" "secret-key"). */}}
{{- define "floe-platform.secretEnv" -}}
- name: {{ index . 1 }}
  valueFrom:
    secretKeyRef:
      name: {{ include "floe-platform.secretName" (index . 0) }}
      key: {{ index . 2 }}
{{- end }}

{{/* image: <registry/>repository:tag[@digest]. Call with the image values. */}}
{{- define "floe-platform.image" -}}
{{- $ref := printf "%s:%s" .repository .tag }}
{{- if .digest }}{{ $ref = printf "%s@%s" $ref .digest }}{{ end }}
{{- $ref }}
{{- end }}

{{/*
Pod-level hardening shared by every workload: a high non-root UID (the images used run under
any UID), no service-account token, the runtime's seccomp profile.
*/}}
{{- define "floe-platform.podSecurity" -}}
automountServiceAccountToken: false
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  fsGroup: 10001
  seccompProfile:
    type: RuntimeDefault
{{- end }}

{{/* Container-level hardening: read-only root, no privilege escalation, no capabilities. */}}
{{- define "floe-platform.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  runAsNonRoot: true
  capabilities:
    drop: [ALL]
{{- end }}

{{/*
Checks the schema cannot express, in one place; the render stops once, listing every problem
(bitnami style). Unknown keys, components and types are values.schema.json's job.
*/}}
{{- define "floe-platform.validateValues" -}}
{{- $problems := list }}
{{- $namespaces := list }}
{{- range $i, $p := .Values.products }}
{{- if has $p.namespace $namespaces }}
{{- $problems = append $problems (printf "products[%d].namespace: '%s' is owned by another product; give each product its own namespace" $i $p.namespace) }}
{{- end }}
{{- $namespaces = append $namespaces $p.namespace }}
{{- end }}
{{- if $problems }}
{{- fail (printf "\nVALUES VALIDATION:\n%s" (join "\n" $problems)) }}
{{- end }}
{{- end }}

{{/*
A Service for one component. Call with (dict "root" $ "component" "x" "ports" (list (dict
"name" "http" "port" 80 "nodePort" 30080))); a port with a nodePort makes it a NodePort Service.
*/}}
{{- define "floe-platform.service" -}}
{{- $nodePort := false }}
{{- range .ports }}{{ if .nodePort }}{{ $nodePort = true }}{{ end }}{{ end }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "floe-platform.component.fullname" (list .root .component) }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "floe-platform.labels" .root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  type: {{ ternary "NodePort" "ClusterIP" $nodePort }}
  selector:
    {{- include "floe-platform.componentSelector" (list .root .component) | nindent 4 }}
  ports:
    {{- range .ports }}
    - name: {{ .name }}
      port: {{ .port }}
      targetPort: {{ .port }}
      protocol: TCP
      {{- if .nodePort }}
      nodePort: {{ add .nodePort ($.root.Values.global.nodePortOffset | default 0) }}
      {{- end }}
    {{- end }}
{{- end }}

{{/* Labels of a component's pods: the common set plus the component. */}}
{{- define "floe-platform.podLabels" -}}
{{ include "floe-platform.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}
