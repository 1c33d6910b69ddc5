{{/* NetworkPolicy rules. Egress every process needs: DNS, PostgreSQL, Redis (and extraEgress). */}}
{{- define "autodevops.coreEgress" -}}
{{- $np := .Values.networkPolicy -}}
- ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
  {{- with $np.dns.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
- ports:
    - {protocol: TCP, port: {{ $np.postgres.port }}}
  {{- with $np.postgres.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
- ports:
    - {protocol: TCP, port: {{ $np.redis.port }}}
  {{- with $np.redis.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- with $np.extraEgress }}
{{ toYaml . }}
{{- end }}
{{- end -}}
{{- define "autodevops.httpsEgress" -}}
- ports:
    - {protocol: TCP, port: {{ .Values.networkPolicy.https.port }}}
  {{- with .Values.networkPolicy.https.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
{{- define "autodevops.metricsIngress" -}}
- ports:
    - {protocol: TCP, port: {{ .port }}}
  {{- with .root.Values.networkPolicy.metricsFrom }}
  from:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
