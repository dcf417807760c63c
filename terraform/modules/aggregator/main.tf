# The aggregator on Kubernetes: stateless replicas of `shynet serve --skip-migrations` behind a
# Service, scaled by CPU, with migrations applied once per release by a Job that the Deployment
# waits for. All shared state lives in Postgres (DATABASE_URL), so any replica may take any request.

module "naming" {
  source = "../naming"

  name         = var.name
  environment  = var.environment
  image        = var.image
  min_replicas = var.min_replicas
  max_replicas = var.max_replicas
}

locals {
  namespace = var.create_namespace ? kubernetes_namespace_v1.this[0].metadata[0].name : module.naming.namespace

  # The port `shynet serve` listens on inside the pod (SHYNET_LISTEN) and the probes' target.
  http_port = 8080

  # Matches the image's user (Dockerfile); any non-root UID works, the root fs is read-only.
  uid = 10001

  # Changing the secret's content rolls the pods (they read it only at start).
  secret_checksum = sha256(jsonencode(kubernetes_secret_v1.env.data))
}

resource "kubernetes_namespace_v1" "this" {
  count = var.create_namespace ? 1 : 0

  metadata {
    name   = module.naming.namespace
    labels = module.naming.labels
  }
}

resource "kubernetes_secret_v1" "env" {
  metadata {
    name      = module.naming.secret_name
    namespace = local.namespace
    labels    = module.naming.labels
  }

  type = "Opaque"
  data = merge(
    { DATABASE_URL = var.database_url },
    var.edge_secret == null ? {} : { SHYNET_EDGE_SECRET = var.edge_secret },
    length(var.read_database_urls) == 0 ? {} : { SHYNET_READ_DATABASE_URL = join(",", var.read_database_urls) },
  )
}

resource "kubernetes_service_account_v1" "aggregator" {
  metadata {
    name      = module.naming.aggregator_name
    namespace = local.namespace
    labels    = module.naming.labels
  }

  # shynet never talks to the Kubernetes API.
  automount_service_account_token = false
}

# One Job per release (its name hashes the image): `shynet migrate` applies pending migrations
# under Postgres's advisory lock and exits; Terraform waits for it before rolling the Deployment.
resource "kubernetes_job_v1" "migrate" {
  metadata {
    name      = module.naming.migration_job_name
    namespace = local.namespace
    labels    = merge(module.naming.labels, { "app.kubernetes.io/component" = "migrate" })
  }

  spec {
    backoff_limit           = 3
    active_deadline_seconds = 900
    # No ttl_seconds_after_finished: a Job garbage-collected by Kubernetes would look missing to
    # Terraform, which would then run the (idempotent) migrations again on the next apply.

    template {
      metadata {
        labels = merge(module.naming.labels, { "app.kubernetes.io/component" = "migrate" })
      }

      spec {
        restart_policy                  = "Never"
        service_account_name            = kubernetes_service_account_v1.aggregator.metadata[0].name
        automount_service_account_token = false
        enable_service_links            = false

        security_context {
          run_as_non_root = true
          run_as_user     = local.uid
          run_as_group    = local.uid
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }

        container {
          name              = "migrate"
          image             = var.image
          image_pull_policy = "Always"
          args              = ["migrate"]

          env_from {
            secret_ref {
              name = kubernetes_secret_v1.env.metadata[0].name
            }
          }

          resources {
            requests = {
              cpu    = "100m"
              memory = "64Mi"
            }
            limits = {
              cpu    = "1"
              memory = "256Mi"
            }
          }

          security_context {
            allow_privilege_escalation = false
            privileged                 = false
            read_only_root_filesystem  = true
            run_as_non_root            = true
            run_as_user                = local.uid
            run_as_group               = local.uid
            capabilities {
              drop = ["ALL"]
            }
          }
        }
      }
    }
  }

  wait_for_completion = true

  timeouts {
    create = var.migration_timeout
    update = var.migration_timeout
  }
}

resource "kubernetes_deployment_v1" "aggregator" {
  #checkov:skip=CKV_K8S_14:The image is an input; the naming module rejects untagged and :latest images (tested with terraform test).
  #checkov:skip=CKV_K8S_43:Tags are accepted next to digests for readability; the naming module accepts @sha256 pins and the README recommends them.
  #checkov:skip=CKV_K8S_35:shynet reads DATABASE_URL and SHYNET_EDGE_SECRET from its environment only; they come from a Secret, never from the pod spec.
  metadata {
    name      = module.naming.aggregator_name
    namespace = local.namespace
    labels    = module.naming.labels
  }

  spec {
    # The autoscaler owns the count after creation (see lifecycle below).
    replicas               = var.min_replicas
    revision_history_limit = 5

    selector {
      match_labels = module.naming.selector_labels
    }

    strategy {
      type = "RollingUpdate"
      rolling_update {
        max_surge       = "1"
        max_unavailable = "0"
      }
    }

    template {
      metadata {
        labels = module.naming.labels
        annotations = {
          "checksum/env" = local.secret_checksum
        }
      }

      spec {
        service_account_name            = kubernetes_service_account_v1.aggregator.metadata[0].name
        automount_service_account_token = false
        enable_service_links            = false
        # SIGTERM drains: stop accepting, finish requests, write every queued beacon.
        termination_grace_period_seconds = 60

        security_context {
          run_as_non_root = true
          run_as_user     = local.uid
          run_as_group    = local.uid
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }

        topology_spread_constraint {
          max_skew           = 1
          topology_key       = "kubernetes.io/hostname"
          when_unsatisfiable = "ScheduleAnyway"
          label_selector {
            match_labels = module.naming.selector_labels
          }
        }

        container {
          name              = "shynet"
          image             = var.image
          image_pull_policy = "Always"
          # The release Job owns the schema; replicas never race to migrate.
          args = ["serve", "--skip-migrations"]

          port {
            name           = "http"
            container_port = local.http_port
            protocol       = "TCP"
          }

          port {
            name           = "metrics"
            container_port = var.metrics_port
            protocol       = "TCP"
          }

          env {
            name  = "SHYNET_LISTEN"
            value = "0.0.0.0:${local.http_port}"
          }

          env {
            name  = "SHYNET_DB_POOL_SIZE"
            value = tostring(var.db_pool_size)
          }

          # The admin listener (Prometheus metrics) on all pod addresses; only the metrics
          # Service below reaches it.
          env {
            name  = "SHYNET_METRICS_LISTEN"
            value = "0.0.0.0:${var.metrics_port}"
          }

          env {
            name  = "SHYNET_REPLICA_MAX_LAG"
            value = tostring(var.replica_max_lag_seconds)
          }

          dynamic "env" {
            for_each = var.env
            content {
              name  = env.key
              value = env.value
            }
          }

          env_from {
            secret_ref {
              name = kubernetes_secret_v1.env.metadata[0].name
            }
          }

          resources {
            requests = {
              cpu    = var.resources.cpu_request
              memory = var.resources.memory_request
            }
            limits = {
              cpu    = var.resources.cpu_limit
              memory = var.resources.memory_limit
            }
          }

          # Ready while Postgres answers: a database outage takes the pod out of rotation.
          readiness_probe {
            http_get {
              path = "/healthz"
              port = "http"
            }
            initial_delay_seconds = 1
            period_seconds        = 5
            timeout_seconds       = 3
            failure_threshold     = 2
          }

          # Alive while the server answers, whatever the database does: restarting would not
          # bring Postgres back and would drop the beacons still queued in memory.
          liveness_probe {
            http_get {
              path = "/healthz?probe=liveness"
              port = "http"
            }
            initial_delay_seconds = 5
            period_seconds        = 10
            timeout_seconds       = 3
            failure_threshold     = 3
          }

          security_context {
            allow_privilege_escalation = false
            privileged                 = false
            # Verified: `shynet serve` with DATABASE_URL writes nothing to disk, /tmp included.
            read_only_root_filesystem = true
            run_as_non_root           = true
            run_as_user               = local.uid
            run_as_group              = local.uid
            capabilities {
              drop = ["ALL"]
            }
          }
        }
      }
    }
  }

  lifecycle {
    ignore_changes = [spec[0].replicas]
  }

  depends_on = [kubernetes_job_v1.migrate]
}

resource "kubernetes_service_v1" "aggregator" {
  metadata {
    name      = module.naming.aggregator_name
    namespace = local.namespace
    labels    = module.naming.labels
  }

  spec {
    type     = var.service_type
    selector = module.naming.selector_labels

    port {
      name        = "http"
      port        = 80
      target_port = "http"
      protocol    = "TCP"
    }
  }
}

resource "kubernetes_horizontal_pod_autoscaler_v2" "aggregator" {
  metadata {
    name      = module.naming.aggregator_name
    namespace = local.namespace
    labels    = module.naming.labels
  }

  spec {
    min_replicas = var.min_replicas
    max_replicas = var.max_replicas

    scale_target_ref {
      api_version = "apps/v1"
      kind        = "Deployment"
      name        = kubernetes_deployment_v1.aggregator.metadata[0].name
    }

    metric {
      type = "Resource"
      resource {
        name = "cpu"
        target {
          type                = "Utilization"
          average_utilization = var.target_cpu_utilization
        }
      }
    }
  }
}

resource "kubernetes_pod_disruption_budget_v1" "aggregator" {
  metadata {
    name      = module.naming.aggregator_name
    namespace = local.namespace
    labels    = module.naming.labels
  }

  spec {
    # One replica at a time may be evicted for node maintenance.
    max_unavailable = "1"
    selector {
      match_labels = module.naming.selector_labels
    }
  }
}

# The metrics listener, inside the cluster only (a LoadBalancer in front of the app must not
# publish it): what Prometheus scrapes, directly or through the ServiceMonitor below.
resource "kubernetes_service_v1" "metrics" {
  metadata {
    name      = "${module.naming.aggregator_name}-metrics"
    namespace = local.namespace
    labels    = merge(module.naming.labels, { "app.kubernetes.io/component" = "metrics" })
  }

  spec {
    type     = "ClusterIP"
    selector = module.naming.selector_labels

    port {
      name        = "metrics"
      port        = var.metrics_port
      target_port = "metrics"
      protocol    = "TCP"
    }
  }
}

# Optional: a Prometheus Operator ServiceMonitor for the metrics Service (its CRD must exist
# when this is planned, hence off by default).
resource "kubernetes_manifest" "service_monitor" {
  count = var.service_monitor ? 1 : 0

  manifest = {
    apiVersion = "monitoring.coreos.com/v1"
    kind       = "ServiceMonitor"
    metadata = {
      name      = "${module.naming.aggregator_name}-metrics"
      namespace = local.namespace
      labels    = module.naming.labels
    }
    spec = {
      selector = {
        matchLabels = merge(module.naming.selector_labels, { "app.kubernetes.io/component" = "metrics" })
      }
      endpoints = [{
        port     = "metrics"
        path     = "/metrics"
        interval = var.service_monitor_interval
      }]
    }
  }
}
