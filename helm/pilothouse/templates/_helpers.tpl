{{/* Names and labels, as `helm create` makes them. */}}
{{- define "pilothouse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pilothouse.fullname" -}}
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

{{- define "pilothouse.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "pilothouse.labels" -}}
{{ include "pilothouse.selectorLabels" . }}
{{ include "pilothouse.commonLabels" . }}
{{- end }}

{{- define "pilothouse.redisLabels" -}}
{{ include "pilothouse.redisSelectorLabels" . }}
{{ include "pilothouse.commonLabels" . }}
{{- end }}

{{- define "pilothouse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pilothouse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: bot
{{- end }}

{{- define "pilothouse.redisSelectorLabels" -}}
app.kubernetes.io/name: {{ include "pilothouse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: redis
{{- end }}

{{- define "pilothouse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pilothouse.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "pilothouse.slackSecret" -}}
{{- default (printf "%s-slack" (include "pilothouse.fullname" .)) .Values.slack.existingSecret }}
{{- end }}

{{/* Does the chart make the Slack Secret? Only from tokens given in the values. */}}
{{- define "pilothouse.makesSlackSecret" -}}
{{- if and (not .Values.slack.existingSecret) (or .Values.slack.botToken .Values.slack.appToken .Values.slack.signingSecret) }}true{{ end }}
{{- end }}

{{- define "pilothouse.redisName" -}}
{{- printf "%s-redis" (include "pilothouse.fullname" .) }}
{{- end }}

{{- define "pilothouse.leaseName" -}}
{{- printf "%s-scheduler" (include "pilothouse.fullname" .) }}
{{- end }}

{{- define "pilothouse.policyConfigMap" -}}
{{- default (printf "%s-policy" (include "pilothouse.fullname" .)) .Values.policy.existingConfigMap }}
{{- end }}

{{- define "pilothouse.clustersConfigMap" -}}
{{- if .Values.clusters.existingConfigMap }}{{ .Values.clusters.existingConfigMap }}
{{- else if or .Values.clusters.default .Values.clusters.channels }}{{ printf "%s-clusters" (include "pilothouse.fullname" .) }}
{{- end }}
{{- end }}

{{- define "pilothouse.hasPolicy" -}}
{{- if or .Values.policy.file .Values.policy.existingConfigMap }}true{{ end }}
{{- end }}

{{/* Values that fit the schema one by one but not together: one clear message each. */}}
{{- define "pilothouse.validate" -}}
{{- $r := .Values.redis }}
{{- if and (eq $r.mode "none") (gt (int .Values.replicaCount) 1) }}
{{- fail "redis.mode none keeps state in each pod's memory: with replicaCount > 1 the replicas would not share it. Use redis.mode bundled, external or sentinel, or replicaCount: 1." }}
{{- end }}
{{- if and (has $r.mode (list "external" "sentinel")) (not $r.url) }}
{{- fail (printf "redis.mode %s needs redis.url (e.g. redis://redis:6379/0%s)." $r.mode (ternary "; with Sentinel the host is the service name: redis://mymaster/0" "" (eq $r.mode "sentinel"))) }}
{{- end }}
{{- if and (eq $r.mode "sentinel") (not $r.sentinels) }}
{{- fail "redis.mode sentinel needs redis.sentinels: the sentinels' host:port." }}
{{- end }}
{{- if and (ne $r.mode "sentinel") $r.sentinels }}
{{- fail "redis.sentinels is set but redis.mode is not sentinel." }}
{{- end }}
{{- if and $r.url (contains "@" $r.url) }}
{{- fail "redis.url must not carry a password (it would sit in the values and the pod spec): put it in a Secret and name it in redis.existingSecret." }}
{{- end }}
{{- if and $r.tls.caSecret (not (hasPrefix "rediss://" $r.url)) }}
{{- fail "redis.tls.caSecret is set but redis.url is not rediss:// (TLS)." }}
{{- end }}
{{- if and (not .Values.clusters.inCluster.enabled) (not .Values.clusters.kubeconfigs.existingSecret) }}
{{- fail "No cluster to talk to: enable clusters.inCluster or give clusters.kubeconfigs.existingSecret." }}
{{- end }}
{{- if and .Values.clusters.kubeconfigs.existingSecret (not .Values.clusters.kubeconfigs.files) }}
{{- fail "clusters.kubeconfigs.existingSecret needs clusters.kubeconfigs.files: the keys of that Secret that are kubeconfig files." }}
{{- end }}
{{- if and .Values.clusters.existingConfigMap (or .Values.clusters.default .Values.clusters.channels) }}
{{- fail "Give the clusters once: clusters.existingConfigMap, or clusters.default and clusters.channels." }}
{{- end }}
{{- if and .Values.policy.file .Values.policy.existingConfigMap }}
{{- fail "Give the policy once: policy.file or policy.existingConfigMap, not both." }}
{{- end }}
{{- if and .Values.slack.existingSecret (or .Values.slack.botToken .Values.slack.appToken .Values.slack.signingSecret) }}
{{- fail "Give the Slack tokens once: slack.existingSecret or the tokens in the values, not both." }}
{{- end }}
{{- if include "pilothouse.makesSlackSecret" . }}
{{- if not .Values.slack.botToken }}{{ fail "slack.botToken is needed when the chart makes the Slack Secret." }}{{ end }}
{{- if and (eq .Values.slack.mode "socket") (not .Values.slack.appToken) }}{{ fail "slack.mode socket needs slack.appToken (xapp-…)." }}{{ end }}
{{- if and (eq .Values.slack.mode "http") (not .Values.slack.signingSecret) }}{{ fail "slack.mode http needs slack.signingSecret." }}{{ end }}
{{- end }}
{{- if and .Values.rbac.impersonation.enabled (not (or .Values.rbac.impersonation.users .Values.rbac.impersonation.anyUser)) }}
{{- fail "rbac.impersonation needs rbac.impersonation.users (Slack user IDs) or anyUser: true (README: what RBAC cannot express)." }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) }}
{{- fail "ingress.enabled needs ingress.host: the host Slack posts to." }}
{{- end }}
{{- end }}
