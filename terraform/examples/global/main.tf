# A global install: the edge worker on Cloudflare in front, the aggregator on Kubernetes behind
# it, sharing one signing secret generated here, once, and kept in state.

resource "random_password" "edge_secret" {
  # 48 alphanumerics (~285 bits). Generated once and kept in state; to rotate it, taint it and
  # apply: both sides get the new value in the same apply (aggregator first).
  length  = 48
  special = false
}

module "aggregator" {
  source = "../../modules/aggregator"

  environment  = var.environment
  image        = var.image
  database_url = var.database_url
  edge_secret  = random_password.edge_secret.result
  min_replicas = var.min_replicas
  max_replicas = var.max_replicas
  # Hot standbys for the dashboard's figures (none by default).
  read_database_urls = var.read_database_urls
  # The aggregator answers only for the host names it is told (SHYNET_ALLOWED_HOSTS): the
  # public name the edge worker posts to is one of them.
  env = merge(
    { SHYNET_ALLOWED_HOSTS = regex("^https?://([^/:]+)", var.aggregator_url)[0] },
    var.aggregator_env,
  )
}

module "edge" {
  source = "../../modules/edge"

  account_id      = var.cloudflare_account_id
  zone_id         = var.cloudflare_zone_id
  zone_name       = var.zone_name
  environment     = var.environment
  ingest_hostname = var.ingest_hostname
  routing         = var.routing
  aggregator_url  = var.aggregator_url
  edge_secret     = random_password.edge_secret.result
  bundle_dir      = coalesce(var.bundle_dir, abspath("${path.root}/../../../edge-worker/dist"))

  # The worker signs batches the aggregator must be able to verify: roll the aggregator first.
  depends_on = [module.aggregator]
}
