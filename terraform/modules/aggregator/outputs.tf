output "namespace" {
  description = "Namespace the aggregator runs in."
  value       = local.namespace
}

output "service_name" {
  description = "Service in front of the aggregator pods (port 80); point your ingress or load balancer at it."
  value       = kubernetes_service_v1.aggregator.metadata[0].name
}

output "service_dns" {
  description = "In-cluster address of the aggregator."
  value       = "${kubernetes_service_v1.aggregator.metadata[0].name}.${local.namespace}.svc"
}

output "migration_job_name" {
  description = "This release's migration Job (kubectl logs job/<name> shows what was applied)."
  value       = kubernetes_job_v1.migrate.metadata[0].name
}

output "health_path" {
  description = "Readiness endpoint (200 when Postgres answers); ?format=json adds queue depth and ingest counters."
  value       = "/healthz"
}

output "metrics_service_name" {
  description = "ClusterIP Service of the Prometheus metrics listener (port metrics_port, path /metrics)."
  value       = kubernetes_service_v1.metrics.metadata[0].name
}
