variable "account_id" {
  type        = string
  description = "Cloudflare account ID that owns the worker and the queues."

  validation {
    condition     = can(regex("^[0-9a-f]{32}$", var.account_id))
    error_message = "account_id is a 32-character hexadecimal Cloudflare account ID."
  }
}

variable "zone_id" {
  type        = string
  description = "ID of the Cloudflare zone that holds ingest_hostname (routes and custom domains live in a zone)."

  validation {
    condition     = can(regex("^[0-9a-f]{32}$", var.zone_id))
    error_message = "zone_id is a 32-character hexadecimal Cloudflare zone ID."
  }
}

variable "zone_name" {
  type        = string
  description = "Name of that zone, e.g. \"example.com\"."
}

variable "name" {
  type        = string
  description = "Base name of the install; \"shynet\" with an empty environment gives wrangler.toml's names."
  default     = "shynet"
}

variable "environment" {
  type        = string
  description = "Environment suffix (empty for production)."
  default     = ""
}

variable "ingest_hostname" {
  type        = string
  description = "Host browsers send beacons to (the snippet host), e.g. \"stats.example.com\"."
}

variable "routing" {
  type        = string
  description = "\"route\" (zone route for <host>/ingress/*) or \"custom_domain\" (the worker owns the host)."
  default     = "route"
}

variable "aggregator_url" {
  type        = string
  description = "HTTPS base URL of the aggregator (the worker's AGGREGATOR_URL; batches go to <url>/ingest/v1/batch)."
}

variable "edge_secret" {
  type        = string
  description = "Secret shared with the aggregator (its SHYNET_EDGE_SECRET); signs batches and config requests. At least 32 characters."
  sensitive   = true

  validation {
    condition     = length(var.edge_secret) >= 32
    error_message = "edge_secret must be at least 32 characters (the aggregator accepts 16, but use 32 random bytes or more)."
  }
}

variable "bundle_dir" {
  type        = string
  description = "Directory of the built worker: the output of `npx wrangler deploy --dry-run --outdir edge-worker/dist` (index.js plus one <hash>-index_bg.wasm)."
}

variable "workers_dev" {
  type        = bool
  description = "Also serve the worker on its *.workers.dev subdomain (off: beacons should use the snippet host)."
  default     = false
}

variable "config_ttl_secs" {
  type        = number
  description = "CONFIG_TTL_SECS: seconds the edge caches service settings and salts (the worker caps it at 60)."
  default     = 60

  validation {
    condition     = var.config_ttl_secs >= 1 && var.config_ttl_secs <= 60
    error_message = "config_ttl_secs must be between 1 and 60."
  }
}

variable "ip_headers" {
  type        = string
  description = "IP_HEADERS: headers trusted for the client IP, in order, comma-separated."
  default     = "cf-connecting-ip"
}

variable "retry_base_secs" {
  type        = number
  description = "RETRY_BASE_SECS: smallest delay before a failed batch is retried."
  default     = 5
}

variable "retry_max_secs" {
  type        = number
  description = "RETRY_MAX_SECS: largest delay before a failed batch is retried."
  default     = 300

  validation {
    condition     = var.retry_max_secs >= var.retry_base_secs
    error_message = "retry_max_secs must be at least retry_base_secs."
  }
}

variable "drops_flush_secs" {
  type        = number
  description = "DROPS_FLUSH_SECS: seconds between an isolate's dropped-traffic counter messages."
  default     = 30

  validation {
    condition     = var.drops_flush_secs >= 1
    error_message = "drops_flush_secs must be at least 1."
  }
}

variable "max_batch_size" {
  type        = number
  description = "Most messages per queue delivery (one signed batch, one transaction at the aggregator)."
  default     = 100

  validation {
    condition     = var.max_batch_size >= 1 && var.max_batch_size <= 100
    error_message = "max_batch_size must be between 1 and 100 (Cloudflare's maximum)."
  }
}

variable "max_batch_timeout_secs" {
  type        = number
  description = "Seconds the queue waits for a batch to fill before delivering it."
  default     = 5

  validation {
    condition     = var.max_batch_timeout_secs >= 0 && var.max_batch_timeout_secs <= 60
    error_message = "max_batch_timeout_secs must be between 0 and 60."
  }
}

variable "max_retries" {
  type        = number
  description = "Deliveries of a batch before its messages go to the dead-letter queue."
  default     = 10
}

variable "max_concurrency" {
  type        = number
  description = "Most concurrent consumer invocations (bounds the load on the aggregator)."
  default     = 10
}
