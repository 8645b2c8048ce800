{{/* The bot's environment: what the chart sets from its values, then `settings`, then extraEnv. */}}
{{- define "pilothouse.env" -}}
{{- $fullname := include "pilothouse.fullname" . }}
{{- $slack := include "pilothouse.slackSecret" . }}
- name: PILOTHOUSE_SLACK_BOT_TOKEN
  valueFrom: {secretKeyRef: {name: {{ $slack }}, key: {{ .Values.slack.keys.botToken }}}}
{{- if eq .Values.slack.mode "socket" }}
- name: PILOTHOUSE_SLACK_APP_TOKEN
  valueFrom: {secretKeyRef: {name: {{ $slack }}, key: {{ .Values.slack.keys.appToken }}}}
{{- else }}
- name: PILOTHOUSE_SLACK_SIGNING_SECRET
  valueFrom: {secretKeyRef: {name: {{ $slack }}, key: {{ .Values.slack.keys.signingSecret }}}}
{{- end }}
- {name: PILOTHOUSE_HTTP_HOST, value: "0.0.0.0"}
- {name: PILOTHOUSE_HTTP_PORT, value: "3000"}
{{- /* clusters */}}
- {name: PILOTHOUSE_IN_CLUSTER, value: {{ .Values.clusters.inCluster.enabled | quote }}}
{{- if .Values.clusters.inCluster.enabled }}
- {name: PILOTHOUSE_IN_CLUSTER_NAME, value: {{ .Values.clusters.inCluster.name | quote }}}
- {name: PILOTHOUSE_IN_CLUSTER_NAMESPACE, value: {{ .Values.clusters.inCluster.namespace | quote }}}
{{- end }}
{{- with .Values.clusters.kubeconfigs.files }}
{{- $paths := list }}
{{- range . }}{{ $paths = append $paths (printf "/etc/pilothouse/kubeconfigs/%s" .) }}{{ end }}
- {name: PILOTHOUSE_KUBECONFIG, value: {{ join ":" $paths | quote }}}
{{- end }}
{{- /* the default and per-channel clusters come from a ConfigMap (envFrom, in the Deployment) */}}
{{- /* the store */}}
{{- $r := .Values.redis }}
{{- if eq $r.mode "bundled" }}
- {name: PILOTHOUSE_REDIS_URL, value: {{ printf "redis://%s:6379/0" (include "pilothouse.redisName" .) | quote }}}
- name: PILOTHOUSE_REDIS_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ include "pilothouse.redisName" . }}, key: redis-password}}
{{- else if ne $r.mode "none" }}
- {name: PILOTHOUSE_REDIS_URL, value: {{ $r.url | quote }}}
{{- if $r.existingSecret }}
- name: PILOTHOUSE_REDIS_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ $r.existingSecret }}, key: {{ $r.passwordKey }}}}
{{- end }}
{{- if eq $r.mode "sentinel" }}
- {name: PILOTHOUSE_REDIS_SENTINELS, value: {{ join "," $r.sentinels | quote }}}
{{- if and $r.existingSecret $r.sentinelPasswordKey }}
- name: PILOTHOUSE_REDIS_SENTINEL_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ $r.existingSecret }}, key: {{ $r.sentinelPasswordKey }}}}
{{- end }}
{{- end }}
{{- if $r.tls.caSecret }}
- {name: PILOTHOUSE_REDIS_CA_FILE, value: {{ printf "/etc/pilothouse/redis-ca/%s" $r.tls.caKey | quote }}}
{{- end }}
{{- end }}
{{- /* the scheduler's leader: a Lease in this namespace (its Role names it), else a Redis lock */}}
{{- if .Values.clusters.inCluster.enabled }}
- {name: PILOTHOUSE_LEADER_ELECTION, value: lease}
- {name: PILOTHOUSE_LEADER_LEASE_NAME, value: {{ include "pilothouse.leaseName" . | quote }}}
- {name: PILOTHOUSE_LEADER_LEASE_NAMESPACE, value: {{ .Release.Namespace | quote }}}
{{- else }}
- {name: PILOTHOUSE_LEADER_ELECTION, value: {{ ternary "none" "redis" (eq $r.mode "none") }}}
{{- end }}
{{- if include "pilothouse.hasPolicy" . }}
- {name: PILOTHOUSE_POLICY_FILE, value: /etc/pilothouse/policy/policy.yaml}
{{- end }}
{{- /* impersonation as the RBAC above allows it (read by Pilothouse from [policy] on; ignored before) */}}
{{- with .Values.rbac.impersonation }}
- {name: PILOTHOUSE_IMPERSONATE, value: {{ ternary "on" "off" .enabled | quote }}}
{{- if .enabled }}
- {name: PILOTHOUSE_IMPERSONATE_USER_PREFIX, value: {{ .userPrefix | quote }}}
- {name: PILOTHOUSE_IMPERSONATE_GROUP_PREFIX, value: {{ .groupPrefix | quote }}}
{{- end }}
{{- end }}
{{- /* settings: the rest of Pilothouse's settings, as given (null: Pilothouse's default) */}}
{{- range $key, $value := .Values.settings }}
{{- if not (kindIs "invalid" $value) }}
{{- $text := toString $value }}
{{- if and (kindIs "float64" $value) (eq (float64 (int64 $value)) $value) }}{{ $text = toString (int64 $value) }}{{ end }}
- {name: {{ printf "PILOTHOUSE_%s" ($key | snakecase | upper) }}, value: {{ $text | quote }}}
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}
