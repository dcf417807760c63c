output "base" {
  description = "Prefix of every resource name of this install."
  value       = local.base
}

output "worker_name" {
  description = "Cloudflare Worker name (wrangler.toml `name` for production)."
  value       = "${local.base}-edge"
}

output "queue_name" {
  description = "Cloudflare Queue carrying beacons from the worker's fetch handler to its queue consumer."
  value       = "${local.base}-beacons"
}

output "dead_letter_queue_name" {
  description = "Queue that receives batches the consumer gave up on after max_retries."
  value       = "${local.base}-beacons-dlq"
}

output "namespace" {
  description = "Kubernetes namespace of the aggregator."
  value       = local.base
}

output "aggregator_name" {
  description = "Name of the aggregator's Deployment, Service, autoscaler and disruption budget."
  value       = "${local.base}-aggregator"
}

output "secret_name" {
  description = "Name of the Kubernetes Secret holding DATABASE_URL and SHYNET_EDGE_SECRET."
  value       = "${local.base}-aggregator-env"
}

output "migration_job_name" {
  description = "Name of this release's migration Job (null without an image)."
  value       = local.migration_job_name
}

output "labels" {
  description = "Kubernetes labels shared by the aggregator's objects."
  value       = local.labels
}

output "selector_labels" {
  description = "The subset of labels that selects the aggregator's pods (stable across releases)."
  value = {
    "app.kubernetes.io/name"      = local.labels["app.kubernetes.io/name"]
    "app.kubernetes.io/instance"  = local.labels["app.kubernetes.io/instance"]
    "app.kubernetes.io/component" = local.labels["app.kubernetes.io/component"]
  }
}

output "route_patterns" {
  description = "Worker route patterns (empty with a custom domain or without an ingest host)."
  value       = local.route_patterns
}

output "custom_domain" {
  description = "Host the worker owns as a custom domain, or null."
  value       = local.custom_domain
}

output "snippet_host" {
  description = "Host to put in the tracking snippet (the edge's ingest host), or null."
  value       = var.ingest_hostname
}

output "ingest_url" {
  description = "Base URL of the edge ingest routes: <ingest_url>/<service-id>/script.js and /pixel.gif."
  value       = var.ingest_hostname == null ? null : "https://${var.ingest_hostname}/ingress"
}

output "aggregator_url" {
  description = "The aggregator's base URL without a trailing slash (the worker's AGGREGATOR_URL)."
  value       = var.aggregator_url == null ? null : trimsuffix(var.aggregator_url, "/")
}

output "batch_endpoint" {
  description = "Where the queue consumer posts signed batches."
  value       = var.aggregator_url == null ? null : "${trimsuffix(var.aggregator_url, "/")}/ingest/v1/batch"
}
