{{/*
Named templates shared by every template of the chart (including rbac.yaml and
admission-policies.yaml). Names are kept short and conventional so that the default install
(release "bulkhead") renders exactly the objects in manifests/.
*/}}

{{/* bulkhead.name is the chart name, overridable with nameOverride. */}}
{{- define "bulkhead.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
bulkhead.fullname is the base name of every object: the release name when it already contains
the chart name (so release "bulkhead" gives "bulkhead"), else "<release>-<chart>".
*/}}
{{- define "bulkhead.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* bulkhead.chart is "<name>-<version>" for the helm.sh/chart label. */}}
{{- define "bulkhead.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
bulkhead.selectorLabels select the operator's pods. They are immutable in a Deployment's
selector: never add to them in an upgrade.
*/}}
{{- define "bulkhead.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bulkhead.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
bulkhead.labels go on every object of the chart. Deliberately NOT
app.kubernetes.io/managed-by=bulkhead: that label marks objects the operator generates (its
informers, pruning and the tamper-protection admission policy key on it), and the operator's own
install must never look like one of them. Helm's own value ("Helm") is fine.
*/}}
{{- define "bulkhead.labels" -}}
{{ include "bulkhead.selectorLabels" . }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: bulkhead
{{- with .Chart.AppVersion }}
app.kubernetes.io/version: {{ . | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "bulkhead.chart" . }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* bulkhead.serviceAccountName is the operator's ServiceAccount ("bulkhead" by default). */}}
{{- define "bulkhead.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "bulkhead.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* bulkhead.metricsPort is the container port of /metrics, /healthz and /readyz. */}}
{{- define "bulkhead.metricsPort" -}}
{{- .Values.metrics.port | int }}
{{- end }}

{{/* bulkhead.image is "repository:tag" or "repository@digest" (the digest wins). */}}
{{- define "bulkhead.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* bulkhead.labelFlag renders a label map as "k=v,k2=v2" (keys sorted) for --*-pod-labels. */}}
{{- define "bulkhead.labelFlag" -}}
{{- $pairs := list }}
{{- range $k, $v := . }}
{{- $pairs = append $pairs (printf "%s=%s" $k $v) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}
