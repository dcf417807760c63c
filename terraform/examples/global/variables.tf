variable "cloudflare_account_id" {
  type        = string
  description = "Cloudflare account ID (32 hex characters) that owns the worker and queues."
}

variable "cloudflare_zone_id" {
  type        = string
  description = "ID of the zone that holds ingest_hostname."
}

variable "zone_name" {
  type        = string
  description = "Name of that zone, e.g. \"example.com\"."
}

variable "ingest_hostname" {
  type        = string
  description = "Host browsers send beacons to through the edge, e.g. \"stats.example.com\" (must be proxied by Cloudflare)."
}

variable "routing" {
  type        = string
  description = "\"route\" (the worker takes <host>/ingress/* of an existing proxied host) or \"custom_domain\" (the worker owns the host)."
  default     = "route"
}

variable "aggregator_url" {
  type        = string
  description = "Public HTTPS URL at which the aggregator Service is exposed (your ingress or load balancer), e.g. \"https://shynet.example.com\"."
}

variable "environment" {
  type        = string
  description = "Environment suffix for every name (empty for production: names then match wrangler.toml)."
  default     = ""
}

variable "image" {
  type        = string
  description = "Aggregator image built from the repository's Dockerfile and pushed to your registry, pinned by tag or digest."
}

variable "database_url" {
  type        = string
  description = "Postgres connection string for the aggregator (DATABASE_URL)."
  sensitive   = true
}

variable "bundle_dir" {
  type        = string
  description = "Built worker bundle (`npx wrangler deploy --dry-run --outdir edge-worker/dist`). Defaults to the repository's edge-worker/dist."
  default     = null
}

variable "kubeconfig_path" {
  type        = string
  description = "Kubeconfig for the target cluster."
  default     = "~/.kube/config"
}

variable "kubeconfig_context" {
  type        = string
  description = "Kubeconfig context to use (null: the current context)."
  default     = null
}

variable "min_replicas" {
  type        = number
  description = "Fewest aggregator replicas."
  default     = 2
}

variable "max_replicas" {
  type        = number
  description = "Most aggregator replicas."
  default     = 6
}

variable "aggregator_env" {
  type        = map(string)
  description = "Further aggregator settings as environment variables (README configuration table), e.g. { TIME_ZONE = \"Europe/Berlin\" }."
  default     = {}
}

variable "read_database_urls" {
  type        = list(string)
  description = "Read replicas (hot standbys) of database_url for the dashboard's figures."
  sensitive   = true
  default     = []
}
