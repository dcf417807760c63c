# Provider-free on purpose: everything here runs offline (`terraform init -backend=false`,
# `validate`, `test`), so the names, route patterns and input checks that the edge and
# aggregator modules rely on are tested in CI without any provider binary.
terraform {
  required_version = ">= 1.9.0"
}
