{{/* Names and labels. */}}
{{- define "autodevops.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "autodevops.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "autodevops.labels" -}}
{{ include "autodevops.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "autodevops.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* A queue's Kubernetes name: ci_generation -> ci-generation. */}}
{{- define "autodevops.workerName" -}}
{{- printf "worker-%s" (.queue | replace "_" "-") -}}
{{- end -}}

{{/*
Settings that are secrets (libs/common/config.py: SecretStr fields, the URLs that carry
passwords, the AWS credentials of the backup target): only ever from existingSecret.
tests/unit/test_helm_chart.py keeps this list equal to the code's.
*/}}
{{- define "autodevops.secretSettings" -}}
DATABASE_URL REDIS_URL ENCRYPTION_KEY ENCRYPTION_OLD_KEYS GITHUB_CLIENT_SECRET GITHUB_WEBHOOK_SECRET GITHUB_APP_PRIVATE_KEY GEMINI_API_KEY SENTRY_DSN AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
{{- end -}}

{{- define "autodevops.checkValues" -}}
{{- if not .Values.existingSecret -}}
{{- fail "existingSecret: name the Secret that holds DATABASE_URL, REDIS_URL and the other secrets (docs/deploy.md#kubernetes)" -}}
{{- end -}}
{{- $secrets := splitList " " (include "autodevops.secretSettings" .) -}}
{{- range $name, $value := .Values.config -}}
{{- if has (upper $name) $secrets -}}
{{- fail (printf "config.%s is a secret: put it in the Secret named by existingSecret, never in values" $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The environment every process gets: fixed deployment settings, `config`, the Secret. */}}
{{- define "autodevops.env" -}}
- name: ENVIRONMENT
  value: production
- name: LOG_FORMAT
  value: json
- name: API_HOST
  value: 0.0.0.0
- name: API_PORT
  value: {{ .Values.api.port | quote }}
- name: METRICS_HOST
  value: 0.0.0.0
- name: WORKER_METRICS_PORT
  value: {{ .Values.worker.metricsPort | quote }}
- name: SCHEDULER_METRICS_PORT
  value: {{ .Values.scheduler.metricsPort | quote }}
{{- /* The pod's address, which Prometheus (and /metrics/targets) can reach: a pod's
hostname does not resolve in the cluster. */}}
- name: METRICS_ADVERTISE_HOST
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
{{- /* The root filesystem is read-only: what writes goes to an emptyDir. */}}
- name: DATA_DIR
  value: /data
- name: WORKDIR
  value: /work
{{- range $name, $value := .Values.config }}
- name: {{ upper $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{- define "autodevops.envFrom" -}}
- secretRef:
    name: {{ .Values.existingSecret }}
{{- end -}}

{{/* Pod-level fields every workload shares. */}}
{{- define "autodevops.podSpec" -}}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "autodevops.podAnnotations" -}}
{{- $root := .root -}}
{{- if or $root.Values.podAnnotations $root.Values.prometheus.podAnnotations -}}
annotations:
  {{- if $root.Values.prometheus.podAnnotations }}
  prometheus.io/scrape: "true"
  prometheus.io/port: {{ .port | quote }}
  prometheus.io/path: /metrics
  {{- end }}
  {{- with $root.Values.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* The container fields every process shares; .env: extra variables of this one. */}}
{{- define "autodevops.container" -}}
{{- $root := .root -}}
image: {{ include "autodevops.image" $root }}
imagePullPolicy: {{ $root.Values.image.pullPolicy }}
securityContext:
  {{- toYaml $root.Values.securityContext | nindent 2 }}
env:
  {{- include "autodevops.env" $root | nindent 2 }}
  {{- with .env }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
envFrom:
  {{- include "autodevops.envFrom" $root | nindent 2 }}
{{- end -}}

{{- define "autodevops.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}

{{- define "autodevops.httpProbe" -}}
httpGet:
  path: {{ .path }}
  port: {{ .port }}
periodSeconds: {{ .period | default 10 }}
timeoutSeconds: 3
failureThreshold: 3
{{- end -}}
