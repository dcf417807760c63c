variable "name" {
  type        = string
  description = "Base name of the install. With an empty environment it yields the names in wrangler.toml: <name>-edge, <name>-beacons, <name>-beacons-dlq."
  default     = "shynet"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,18}[a-z0-9]$", var.name))
    error_message = "name must be 2-20 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "environment" {
  type        = string
  description = "Environment suffix (e.g. \"staging\"); empty for production, whose names then match wrangler.toml."
  default     = ""

  validation {
    condition     = var.environment == "" || can(regex("^[a-z][a-z0-9]{0,11}$", var.environment))
    error_message = "environment must be empty or 1-12 lower-case letters and digits, starting with a letter."
  }
}

variable "ingest_hostname" {
  type        = string
  description = "Host name browsers send beacons to through the edge worker (the snippet host), e.g. \"stats.example.com\". Null when the edge is not deployed."
  default     = null

  validation {
    condition     = var.ingest_hostname == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.ingest_hostname))
    error_message = "ingest_hostname must be a lower-case DNS name such as stats.example.com (no scheme, port or path)."
  }
}

variable "zone_name" {
  type        = string
  description = "Cloudflare zone that holds ingest_hostname, e.g. \"example.com\"."
  default     = null

  validation {
    condition = var.zone_name == null || (
      can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.zone_name)) &&
      (var.ingest_hostname == null || try(var.ingest_hostname == var.zone_name || endswith(var.ingest_hostname, ".${var.zone_name}"), false))
    )
    error_message = "zone_name must be a DNS name, and ingest_hostname must be that zone or a name inside it."
  }
}

variable "routing" {
  type        = string
  description = "How requests reach the worker: \"route\" (a zone route for <host>/ingress/*, the rest of the host keeps its origin) or \"custom_domain\" (the worker owns the whole host)."
  default     = "route"

  validation {
    condition     = contains(["route", "custom_domain"], var.routing)
    error_message = "routing must be \"route\" or \"custom_domain\"."
  }
}

variable "aggregator_url" {
  type        = string
  description = "Public HTTPS base URL of the aggregator, which the edge worker posts signed batches to (e.g. \"https://shynet.example.com\")."
  default     = null

  validation {
    condition     = var.aggregator_url == null || can(regex("^https://[a-z0-9.-]+(:[0-9]{1,5})?(/[^?#]*)?$", var.aggregator_url))
    error_message = "aggregator_url must be an https:// URL without query or fragment: the signed batches must not travel in clear text."
  }
}

variable "image" {
  type        = string
  description = "Aggregator container image, pinned by tag or digest (e.g. \"ghcr.io/example/shynet:0.1.0\"). Each distinct image is one release and gets its own migration Job."
  default     = null

  validation {
    condition = var.image == null || (
      can(regex("^[a-z0-9][a-z0-9._/:-]*[a-z0-9](:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$", var.image)) &&
      !endswith(coalesce(var.image, "-"), ":latest")
    )
    error_message = "image must carry an explicit tag other than :latest, or a @sha256 digest, so that a release is reproducible."
  }
}

variable "min_replicas" {
  type        = number
  description = "Fewest aggregator replicas the autoscaler keeps (at least 2 keeps the service up through a voluntary disruption)."
  default     = 2

  validation {
    condition     = var.min_replicas >= 1 && floor(var.min_replicas) == var.min_replicas
    error_message = "min_replicas must be a whole number of at least 1."
  }
}

variable "max_replicas" {
  type        = number
  description = "Most aggregator replicas the autoscaler may run."
  default     = 6

  validation {
    condition     = floor(var.max_replicas) == var.max_replicas && var.max_replicas >= var.min_replicas
    error_message = "max_replicas must be a whole number no smaller than min_replicas."
  }
}
