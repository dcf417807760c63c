# The edge collector: the Rust->WASM worker (uploaded from the wrangler dry-run bundle), the
# beacon queue with its dead-letter queue, the worker's queue consumer, and its route or custom
# domain. Keep it in step with wrangler.toml (tests/tests/deploy_config.rs checks the names,
# bindings, compatibility date and consumer settings).

module "naming" {
  source = "../naming"

  name            = var.name
  environment     = var.environment
  ingest_hostname = var.ingest_hostname
  zone_name       = var.zone_name
  routing         = var.routing
  aggregator_url  = var.aggregator_url
}

locals {
  # wrangler.toml `compatibility_date`.
  compatibility_date = "2026-04-20"

  # Binding names the worker code reads (edge-worker/src/lib.rs).
  queue_binding  = "BEACONS"
  secret_binding = "SHYNET_EDGE_SECRET"

  # wrangler.toml [vars].
  plain_vars = {
    AGGREGATOR_URL   = module.naming.aggregator_url
    CONFIG_TTL_SECS  = tostring(var.config_ttl_secs)
    IP_HEADERS       = var.ip_headers
    RETRY_BASE_SECS  = tostring(var.retry_base_secs)
    RETRY_MAX_SECS   = tostring(var.retry_max_secs)
    DROPS_FLUSH_SECS = tostring(var.drops_flush_secs)
  }

  main_module = "index.js"
  wasm_files  = tolist(fileset(var.bundle_dir, "*.wasm"))
  wasm_module = length(local.wasm_files) == 1 ? local.wasm_files[0] : ""
}

resource "cloudflare_queue" "beacons" {
  account_id = var.account_id
  queue_name = module.naming.queue_name
}

resource "cloudflare_queue" "dead_letter" {
  account_id = var.account_id
  queue_name = module.naming.dead_letter_queue_name
}

resource "cloudflare_worker" "edge" {
  account_id = var.account_id
  name       = module.naming.worker_name

  # wrangler.toml [observability].
  observability = {
    enabled = true
  }

  subdomain = {
    enabled          = var.workers_dev
    previews_enabled = false
  }
}

resource "cloudflare_worker_version" "edge" {
  account_id         = var.account_id
  worker_id          = cloudflare_worker.edge.id
  compatibility_date = local.compatibility_date
  main_module        = local.main_module

  modules = [
    {
      name         = local.main_module
      content_type = "application/javascript+module"
      content_file = "${var.bundle_dir}/${local.main_module}"
    },
    {
      # The shim imports it as "./<hash>-index_bg.wasm": the module name is the file name.
      name         = local.wasm_module
      content_type = "application/wasm"
      content_file = "${var.bundle_dir}/${local.wasm_module}"
    },
  ]

  bindings = concat(
    [{
      name       = local.queue_binding
      type       = "queue"
      queue_name = cloudflare_queue.beacons.queue_name
    }],
    [for k in sort(keys(local.plain_vars)) : {
      name = k
      type = "plain_text"
      text = local.plain_vars[k]
    }],
    [{
      name = local.secret_binding
      type = "secret_text"
      text = var.edge_secret
    }],
  )

  lifecycle {
    precondition {
      condition     = fileexists("${var.bundle_dir}/${local.main_module}") && length(local.wasm_files) == 1
      error_message = "bundle_dir must hold index.js and exactly one .wasm file: run `npx wrangler deploy --dry-run --outdir edge-worker/dist` (after a clean of edge-worker/dist)."
    }
    precondition {
      condition     = strcontains(file("${var.bundle_dir}/${local.main_module}"), "./${local.wasm_module}")
      error_message = "index.js does not import the .wasm file found in bundle_dir: the bundle is stale or mixed; rebuild it into an empty directory."
    }
  }
}

resource "cloudflare_workers_deployment" "edge" {
  account_id  = var.account_id
  script_name = cloudflare_worker.edge.name
  strategy    = "percentage"

  versions = [{
    percentage = 100
    version_id = cloudflare_worker_version.edge.id
  }]
}

# wrangler.toml [[queues.consumers]]: the same worker consumes the queue and posts signed batches.
resource "cloudflare_queue_consumer" "edge" {
  account_id        = var.account_id
  queue_id          = cloudflare_queue.beacons.id
  type              = "worker"
  script_name       = cloudflare_worker.edge.name
  dead_letter_queue = cloudflare_queue.dead_letter.queue_name

  settings = {
    batch_size       = var.max_batch_size
    max_wait_time_ms = var.max_batch_timeout_secs * 1000
    max_retries      = var.max_retries
    max_concurrency  = var.max_concurrency
  }

  depends_on = [cloudflare_workers_deployment.edge]
}

resource "cloudflare_workers_route" "ingress" {
  for_each = toset(module.naming.route_patterns)

  zone_id = var.zone_id
  pattern = each.value
  script  = cloudflare_worker.edge.name

  depends_on = [cloudflare_workers_deployment.edge]
}

resource "cloudflare_workers_custom_domain" "ingress" {
  count = module.naming.custom_domain == null ? 0 : 1

  account_id = var.account_id
  zone_id    = var.zone_id
  hostname   = module.naming.custom_domain
  service    = cloudflare_worker.edge.name

  depends_on = [cloudflare_workers_deployment.edge]
}
