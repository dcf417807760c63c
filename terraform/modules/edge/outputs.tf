output "worker_name" {
  description = "Name of the deployed worker."
  value       = cloudflare_worker.edge.name
}

output "worker_version_id" {
  description = "Version of the worker that the deployment serves."
  value       = cloudflare_worker_version.edge.id
}

output "queue_name" {
  description = "Beacon queue."
  value       = cloudflare_queue.beacons.queue_name
}

output "dead_letter_queue_name" {
  description = "Dead-letter queue: inspect it when batches keep failing at the aggregator."
  value       = cloudflare_queue.dead_letter.queue_name
}

output "ingest_url" {
  description = "Base URL of the edge ingest routes (<ingest_url>/<service-id>/script.js)."
  value       = module.naming.ingest_url
}

output "snippet_host" {
  description = "Host to use in the tracking snippet (the dashboard's public URL for scripts)."
  value       = module.naming.snippet_host
}

output "route_patterns" {
  description = "Zone routes sending requests to the worker (empty with a custom domain)."
  value       = module.naming.route_patterns
}
