{{- define "switchyard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "switchyard.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "switchyard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "switchyard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "switchyard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "switchyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end -}}

{{- define "switchyard.labels" -}}
{{ include "switchyard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The Secret the controller writes the ext_proc configuration to, in the release namespace. */}}
{{- define "switchyard.extprocConfigSecret" -}}
{{- printf "%s-extproc-config" (include "switchyard.fullname" .) | trunc 253 -}}
{{- end -}}

{{/* Where Envoy reaches `switchyard extproc`: extproc.address, else the Service of templates/extproc.yaml. */}}
{{- define "switchyard.extprocAddress" -}}
{{- if .Values.extproc.address -}}
{{- .Values.extproc.address -}}
{{- else -}}
{{- printf "%s-extproc.%s.svc:%d" (include "switchyard.fullname" .) .Release.Namespace (int .Values.extproc.port) -}}
{{- end -}}
{{- end -}}

{{- define "switchyard.extprocSelectorLabels" -}}
app.kubernetes.io/name: {{ include "switchyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: extproc
{{- end -}}

{{- define "switchyard.extprocLabels" -}}
{{ include "switchyard.extprocSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "switchyard.mcpConfigSecret" -}}
{{- printf "%s-mcp-config" (include "switchyard.fullname" .) | trunc 253 -}}
{{- end -}}

{{/* Where Envoy reaches `switchyard mcp`: mcp.address, else the Service of templates/mcp.yaml. */}}
{{- define "switchyard.mcpAddress" -}}
{{- if .Values.mcp.address -}}
{{- .Values.mcp.address -}}
{{- else -}}
{{- printf "%s-mcp.%s.svc:%d" (include "switchyard.fullname" .) .Release.Namespace (int .Values.mcp.port) -}}
{{- end -}}
{{- end -}}

{{- define "switchyard.mcpSelectorLabels" -}}
app.kubernetes.io/name: {{ include "switchyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: mcp
{{- end -}}

{{- define "switchyard.mcpLabels" -}}
{{ include "switchyard.mcpSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Where Envoy reaches the rate limit service: rateLimit.address, else the Service of templates/ratelimit.yaml. */}}
{{- define "switchyard.ratelimitAddress" -}}
{{- if .Values.rateLimit.address -}}
{{- .Values.rateLimit.address -}}
{{- else -}}
{{- printf "%s-ratelimit.%s.svc:%d" (include "switchyard.fullname" .) .Release.Namespace (int .Values.rateLimit.port) -}}
{{- end -}}
{{- end -}}

{{/* The rate limit service's Redis: rateLimit.redis.url, else the Service of templates/ratelimit.yaml. */}}
{{- define "switchyard.redisAddress" -}}
{{- if .Values.rateLimit.redis.url -}}
{{- .Values.rateLimit.redis.url -}}
{{- else -}}
{{- printf "%s-redis.%s.svc:6379" (include "switchyard.fullname" .) .Release.Namespace -}}
{{- end -}}
{{- end -}}

{{- define "switchyard.ratelimitSelectorLabels" -}}
app.kubernetes.io/name: {{ include "switchyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: ratelimit
{{- end -}}

{{- define "switchyard.ratelimitLabels" -}}
{{ include "switchyard.ratelimitSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "switchyard.redisSelectorLabels" -}}
app.kubernetes.io/name: {{ include "switchyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: redis
{{- end -}}

{{- define "switchyard.redisLabels" -}}
{{ include "switchyard.redisSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}
