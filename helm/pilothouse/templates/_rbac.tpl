{{/* The namespaced rules: in a ClusterRole without rbac.namespaces, else in a Role in each. */}}
{{- define "pilothouse.namespacedRules" -}}
- apiGroups: [""]
  resources: [pods, events]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
- apiGroups: [apps]
  resources: [deployments, replicasets]
  verbs: [get, list, watch]
{{- if .Values.rbac.write }}
- apiGroups: [apps]
  resources: [deployments]
  verbs: [patch]
- apiGroups: [""]
  resources: [pods]
  verbs: [delete]
{{- end }}
{{- if .Values.rbac.readSecrets }}
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list]
{{- end }}
{{- end }}
