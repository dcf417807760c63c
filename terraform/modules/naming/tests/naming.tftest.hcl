# Offline tests of the naming and validation logic (`terraform test`, no providers needed).

run "production_names_match_wrangler_toml" {
  command = plan

  assert {
    condition     = output.worker_name == "shynet-edge"
    error_message = "the production worker must be wrangler.toml's `name`"
  }
  assert {
    condition     = output.queue_name == "shynet-beacons" && output.dead_letter_queue_name == "shynet-beacons-dlq"
    error_message = "the production queues must be wrangler.toml's queue and dead_letter_queue"
  }
  assert {
    condition     = output.namespace == "shynet" && output.aggregator_name == "shynet-aggregator"
    error_message = "unexpected Kubernetes names"
  }
  assert {
    condition     = length(output.route_patterns) == 0 && output.custom_domain == null && output.ingest_url == null
    error_message = "no ingest host means no routes"
  }
  assert {
    condition     = output.migration_job_name == null
    error_message = "no image means no migration job"
  }
}

run "environment_suffix_and_route" {
  command = plan

  variables {
    environment     = "staging"
    ingest_hostname = "stats.example.com"
    zone_name       = "example.com"
    aggregator_url  = "https://shynet.example.com/"
  }

  assert {
    condition     = output.worker_name == "shynet-staging-edge" && output.queue_name == "shynet-staging-beacons"
    error_message = "the environment goes between the base name and the role"
  }
  assert {
    condition     = output.route_patterns == tolist(["stats.example.com/ingress/*"])
    error_message = "the route claims only the worker's /ingress/ prefix"
  }
  assert {
    condition     = output.ingest_url == "https://stats.example.com/ingress" && output.snippet_host == "stats.example.com"
    error_message = "unexpected ingest URL"
  }
  assert {
    condition     = output.aggregator_url == "https://shynet.example.com" && output.batch_endpoint == "https://shynet.example.com/ingest/v1/batch"
    error_message = "the trailing slash is dropped and the batch path appended"
  }
  assert {
    condition     = output.labels["app.kubernetes.io/instance"] == "shynet-staging"
    error_message = "labels carry the instance name"
  }
}

run "custom_domain_owns_the_host" {
  command = plan

  variables {
    ingest_hostname = "example.com"
    zone_name       = "example.com"
    routing         = "custom_domain"
  }

  assert {
    condition     = length(output.route_patterns) == 0 && output.custom_domain == "example.com"
    error_message = "a custom domain replaces the route"
  }
}

run "one_migration_job_per_image" {
  command = plan

  variables {
    image = "ghcr.io/example/shynet:0.1.0"
  }

  assert {
    condition     = can(regex("^shynet-migrate-[0-9a-f]{10}$", output.migration_job_name))
    error_message = "the job name carries a short hash of the image"
  }
  assert {
    condition     = output.migration_job_name == "shynet-migrate-${substr(sha256("ghcr.io/example/shynet:0.1.0"), 0, 10)}"
    error_message = "the hash is the image's sha256 prefix"
  }
}

run "digest_pinned_image_and_registry_port_are_accepted" {
  command = plan

  variables {
    image = "registry.internal:5000/shynet@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
  }

  assert {
    condition     = output.migration_job_name != null
    error_message = "a digest is a valid pin"
  }
}

run "latest_tag_is_rejected" {
  command = plan
  variables {
    image = "ghcr.io/example/shynet:latest"
  }
  expect_failures = [var.image]
}

run "untagged_image_is_rejected" {
  command = plan
  variables {
    image = "ghcr.io/example/shynet"
  }
  expect_failures = [var.image]
}

run "host_outside_zone_is_rejected" {
  command = plan
  variables {
    ingest_hostname = "stats.example.org"
    zone_name       = "example.com"
  }
  expect_failures = [var.zone_name]
}

run "lookalike_zone_suffix_is_rejected" {
  command = plan
  variables {
    ingest_hostname = "stats.badexample.com"
    zone_name       = "example.com"
  }
  expect_failures = [var.zone_name]
}

run "hostname_with_scheme_is_rejected" {
  command = plan
  variables {
    ingest_hostname = "https://stats.example.com"
  }
  expect_failures = [var.ingest_hostname]
}

run "plain_http_aggregator_is_rejected" {
  command = plan
  variables {
    aggregator_url = "http://shynet.example.com"
  }
  expect_failures = [var.aggregator_url]
}

run "bad_names_are_rejected" {
  command = plan
  variables {
    name        = "Shynet_1"
    environment = "Staging"
  }
  expect_failures = [var.name, var.environment]
}

run "unknown_routing_is_rejected" {
  command = plan
  variables {
    routing = "workers_dev"
  }
  expect_failures = [var.routing]
}

run "replica_bounds_are_checked" {
  command = plan
  variables {
    min_replicas = 3
    max_replicas = 2
  }
  expect_failures = [var.max_replicas]
}

run "zero_replicas_are_rejected" {
  command = plan
  variables {
    min_replicas = 0
  }
  expect_failures = [var.min_replicas]
}
