locals {
  # "shynet" in production, "shynet-staging" elsewhere: the prefix of every name below.
  base = var.environment == "" ? var.name : "${var.name}-${var.environment}"

  # The worker serves only /ingress/... (everything else answers 404), so a zone route claims
  # just that prefix and leaves the rest of the host to its origin.
  route_patterns = var.ingest_hostname != null && var.routing == "route" ? ["${var.ingest_hostname}/ingress/*"] : []
  custom_domain  = var.ingest_hostname != null && var.routing == "custom_domain" ? var.ingest_hostname : null

  # One migration Job per release: the name changes with the image, so Terraform creates a new
  # Job (and waits for it) exactly when the image changes.
  release_id         = var.image == null ? null : substr(sha256(var.image), 0, 10)
  migration_job_name = var.image == null ? null : "${local.base}-migrate-${local.release_id}"

  labels = {
    "app.kubernetes.io/name"       = "shynet"
    "app.kubernetes.io/instance"   = local.base
    "app.kubernetes.io/component"  = "aggregator"
    "app.kubernetes.io/part-of"    = "shynet"
    "app.kubernetes.io/managed-by" = "terraform"
  }
}
