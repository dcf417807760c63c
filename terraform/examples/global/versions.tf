terraform {
  required_version = ">= 1.9.0"

  required_providers {
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 5.14"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.38"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }

  # Keep state remote and locked in real use (it holds the edge secret and DATABASE_URL), e.g.:
  # backend "s3" { bucket = "…" key = "shynet/global.tfstate" region = "…" }
}

# Credentials come from the environment: CLOUDFLARE_API_TOKEN (Workers Scripts, Workers Routes,
# Queues: edit) and the kubeconfig below.
provider "cloudflare" {}

provider "kubernetes" {
  config_path    = var.kubeconfig_path
  config_context = var.kubeconfig_context
}
