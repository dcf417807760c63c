output "ingest_url" {
  description = "Edge ingest base URL: the tracker is <ingest_url>/<service-id>/script.js."
  value       = module.edge.ingest_url
}

output "snippet_host" {
  description = "Public URL to give `shynet service create --public-url` (and the dashboard) so snippets point at the edge."
  value       = "https://${module.edge.snippet_host}"
}

output "worker_name" {
  description = "Deployed Cloudflare Worker."
  value       = module.edge.worker_name
}

output "queue_names" {
  description = "Beacon queue and its dead-letter queue."
  value = {
    beacons     = module.edge.queue_name
    dead_letter = module.edge.dead_letter_queue_name
  }
}

output "aggregator_service" {
  description = "In-cluster address of the aggregator Service (expose it at aggregator_url)."
  value       = module.aggregator.service_dns
}

output "migration_job" {
  description = "Migration Job of this release."
  value       = module.aggregator.migration_job_name
}

output "edge_secret" {
  description = "The shared signing secret (only for running the worker locally with wrangler; `terraform output -raw edge_secret`)."
  value       = random_password.edge_secret.result
  sensitive   = true
}
