terraform {
  required_version = ">= 1.9.0"

  required_providers {
    cloudflare = {
      source = "cloudflare/cloudflare"
      # 5.x has cloudflare_worker / cloudflare_worker_version with multi-module uploads
      # (the Rust worker is a JS shim plus a .wasm module).
      version = "~> 5.14"
    }
  }
}
