variable "name" {
  type        = string
  description = "Base name of the install (shared with the edge module)."
  default     = "shynet"
}

variable "environment" {
  type        = string
  description = "Environment suffix (empty for production)."
  default     = ""
}

variable "create_namespace" {
  type        = bool
  description = "Create the namespace (false: it exists already and is managed elsewhere)."
  default     = true
}

variable "image" {
  type        = string
  description = "Aggregator image built from the repository's Dockerfile, pinned by tag or digest. A new image is a new release: its migrations run once, in a Job, before the Deployment rolls."
}

variable "database_url" {
  type        = string
  description = "Postgres connection string (DATABASE_URL), e.g. postgres://shynet:…@db.internal:5432/shynet. Stored in a Kubernetes Secret."
  sensitive   = true

  validation {
    condition     = can(regex("^postgres(ql)?://", var.database_url)) || can(regex("(^|\\s)host=", var.database_url))
    error_message = "database_url must be a postgres:// URL or a key=value connection string with host=."
  }
}

variable "edge_secret" {
  type        = string
  description = "Secret shared with the edge worker (SHYNET_EDGE_SECRET); null disables the signed edge endpoints."
  sensitive   = true
  default     = null

  validation {
    condition     = var.edge_secret == null || length(coalesce(var.edge_secret, "x")) >= 32
    error_message = "edge_secret must be at least 32 characters."
  }
}

variable "min_replicas" {
  type        = number
  description = "Fewest replicas the autoscaler keeps."
  default     = 2
}

variable "max_replicas" {
  type        = number
  description = "Most replicas the autoscaler may run."
  default     = 6
}

variable "target_cpu_utilization" {
  type        = number
  description = "Average CPU use (percent of the request) the autoscaler aims for."
  default     = 70

  validation {
    condition     = var.target_cpu_utilization >= 10 && var.target_cpu_utilization <= 100
    error_message = "target_cpu_utilization must be between 10 and 100."
  }
}

variable "resources" {
  type = object({
    cpu_request    = string
    memory_request = string
    cpu_limit      = string
    memory_limit   = string
  })
  description = "Container requests and limits. Memory bounds the ingest queue: at SHYNET_QUEUE_CAPACITY=100000 budget ~200 MiB for it."
  default = {
    cpu_request    = "250m"
    memory_request = "256Mi"
    cpu_limit      = "2"
    memory_limit   = "512Mi"
  }
}

variable "db_pool_size" {
  type        = number
  description = "Postgres connections per replica (SHYNET_DB_POOL_SIZE); max_replicas × this must fit the server's max_connections."
  default     = 8
}

variable "env" {
  type        = map(string)
  description = "Further non-secret settings as environment variables (see the README's configuration table), e.g. { TIME_ZONE = \"Europe/Berlin\", SHYNET_IP_HEADERS = \"x-forwarded-for\" }."
  default     = {}

  validation {
    condition     = length(setintersection(keys(var.env), ["DATABASE_URL", "SHYNET_EDGE_SECRET", "SHYNET_LISTEN", "SHYNET_SKIP_MIGRATIONS", "SHYNET_DB_POOL_SIZE", "SHYNET_READ_DATABASE_URL", "SHYNET_REPLICA_MAX_LAG", "SHYNET_METRICS_LISTEN"])) == 0
    error_message = "env must not set DATABASE_URL, SHYNET_EDGE_SECRET, SHYNET_LISTEN, SHYNET_SKIP_MIGRATIONS, SHYNET_DB_POOL_SIZE, SHYNET_READ_DATABASE_URL, SHYNET_REPLICA_MAX_LAG or SHYNET_METRICS_LISTEN: the module owns them."
  }
}

variable "service_type" {
  type        = string
  description = "Kubernetes Service type in front of the pods (ClusterIP behind an ingress, or LoadBalancer)."
  default     = "ClusterIP"

  validation {
    condition     = contains(["ClusterIP", "NodePort", "LoadBalancer"], var.service_type)
    error_message = "service_type must be ClusterIP, NodePort or LoadBalancer."
  }
}

variable "migration_timeout" {
  type        = string
  description = "How long Terraform waits for a release's migration Job."
  default     = "10m"
}

variable "read_database_urls" {
  type        = list(string)
  description = "Connection strings of hot standbys (read replicas) for the dashboard's, the API's and `shynet stats` figures (SHYNET_READ_DATABASE_URL); writes stay on database_url. Stored in the Kubernetes Secret. Each replica gets a pool of SHYNET_DASHBOARD_POOL_SIZE connections per pod."
  sensitive   = true
  default     = []

  validation {
    condition     = length(var.read_database_urls) <= 8 && alltrue([for u in var.read_database_urls : (can(regex("^postgres(ql)?://", u)) || can(regex("(^|\\s)host=", u))) && !strcontains(u, ",")])
    error_message = "read_database_urls: at most 8, each a postgres:// URL or a key=value connection string with host=, without commas."
  }
}

variable "replica_max_lag_seconds" {
  type        = number
  description = "A read replica whose replay is further behind the primary than this is skipped (SHYNET_REPLICA_MAX_LAG); its reads go to the primary until it catches up."
  default     = 10

  validation {
    condition     = var.replica_max_lag_seconds >= 1 && var.replica_max_lag_seconds <= 86400 && floor(var.replica_max_lag_seconds) == var.replica_max_lag_seconds
    error_message = "replica_max_lag_seconds must be a whole number of seconds from 1 to 86400."
  }
}

variable "metrics_port" {
  type        = number
  description = "Port of the Prometheus metrics listener in the pod (SHYNET_METRICS_LISTEN=0.0.0.0:<port>), exposed by a separate ClusterIP Service so a LoadBalancer in front of the app never publishes it."
  default     = 9091

  validation {
    condition     = var.metrics_port >= 1024 && var.metrics_port <= 65535 && var.metrics_port != 8080
    error_message = "metrics_port must be an unprivileged port (1024-65535) other than the HTTP port 8080."
  }
}

variable "service_monitor" {
  type        = bool
  description = "Create a Prometheus Operator ServiceMonitor for the metrics Service (needs the monitoring.coreos.com CRDs in the cluster)."
  default     = false
}

variable "service_monitor_interval" {
  type        = string
  description = "Scrape interval of the ServiceMonitor."
  default     = "30s"
}
