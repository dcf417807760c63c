//! The deployment descriptions agree with what they deploy: `wrangler.toml` (local development)
//! and the Terraform edge module (production) name the same worker, queues, bindings,
//! compatibility date and consumer settings, and those bindings are the ones the worker code
//! reads; the Kubernetes probes, port and arguments of the aggregator module work against the
//! real `shynet` binary (migrate once, then serve without migrating, then GET the probe paths).

use e2e_tests::{shynet_bin, workspace_root};
use hcl::eval::{Context, Evaluate};
use hcl::{Block, Body, Expression};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Every top-level block of the `.tf` files of one module.
fn module_blocks(rel: &str) -> Vec<Block> {
    let dir = workspace_root().join(rel);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .tf files in {}", dir.display());
    let mut blocks = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let body: Body = hcl::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        blocks.extend(body.into_blocks());
    }
    blocks
}

fn labels(b: &Block) -> Vec<&str> {
    b.labels().iter().map(|l| l.as_str()).collect()
}

/// The block `ident "labels…"`.
fn block<'a>(blocks: &'a [Block], ident: &str, want: &[&str]) -> &'a Block {
    blocks
        .iter()
        .find(|b| b.identifier() == ident && labels(b) == want)
        .unwrap_or_else(|| panic!("no block {ident} {want:?}"))
}

/// Nested blocks of a body by identifier.
fn nested<'a>(body: &'a Body, ident: &str) -> Vec<&'a Block> {
    body.blocks().filter(|b| b.identifier() == ident).collect()
}

fn one<'a>(body: &'a Body, ident: &str) -> &'a Body {
    let found = nested(body, ident);
    assert_eq!(found.len(), 1, "expected one `{ident}` block");
    found[0].body()
}

fn attr<'a>(body: &'a Body, key: &str) -> &'a Expression {
    body.attributes()
        .find(|a| a.key() == key)
        .map(|a| a.expr())
        .unwrap_or_else(|| panic!("no attribute `{key}`"))
}

/// An attribute's expression as HCL source, whitespace-normalised.
fn src(body: &Body, key: &str) -> String {
    attr(body, key)
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn string(e: &Expression) -> String {
    match e {
        Expression::String(s) => s.clone(),
        other => panic!("expected a string literal, found `{other}`"),
    }
}

/// `var.<name>` defaults of a module, evaluated.
fn var_defaults(blocks: &[Block]) -> hcl::Map<String, hcl::Value> {
    let ctx = Context::new();
    blocks
        .iter()
        .filter(|b| b.identifier() == "variable")
        .filter_map(|b| {
            let name = labels(b)[0].to_owned();
            b.body()
                .attributes()
                .find(|a| a.key() == "default")
                .map(|a| (name, a.expr().evaluate(&ctx).expect("literal default")))
        })
        .collect()
}

/// Evaluates a module's locals (those hcl-rs can: no Terraform functions) and then `expr`, with
/// `var` bound to the defaults overridden by `vars`.
fn eval_in_module(blocks: &[Block], vars: &[(&str, &str)], expr: &Expression) -> hcl::Value {
    let mut var = var_defaults(blocks);
    for (k, v) in vars {
        var.insert((*k).to_owned(), hcl::Value::from(*v));
    }
    let mut ctx = Context::new();
    ctx.declare_var("var", hcl::Value::Object(var.clone()));
    let mut local = hcl::Map::new();
    for b in blocks.iter().filter(|b| b.identifier() == "locals") {
        for a in b.body().attributes() {
            if let Ok(v) = a.expr().evaluate(&ctx) {
                local.insert(a.key().to_owned(), v);
                ctx.declare_var("local", hcl::Value::Object(local.clone()));
            }
        }
    }
    expr.evaluate(&ctx)
        .unwrap_or_else(|e| panic!("cannot evaluate `{expr}`: {e}"))
}

fn naming_output(name: &str) -> String {
    let naming = module_blocks("terraform/modules/naming");
    let out = block(&naming, "output", &[name]);
    match eval_in_module(&naming, &[], attr(out.body(), "value")) {
        hcl::Value::String(s) => s,
        other => panic!("output {name} is {other:?}"),
    }
}

fn toml_str<'a>(v: &'a toml::Value, path: &[&str]) -> &'a toml::Value {
    path.iter().fold(v, |v, k| {
        v.get(k)
            .unwrap_or_else(|| panic!("wrangler.toml has no {}", path.join(".")))
    })
}

#[test]
fn edge_module_matches_wrangler_toml_and_the_worker_code() {
    let root = workspace_root();
    let wrangler_text = std::fs::read_to_string(root.join("wrangler.toml")).unwrap();
    let wrangler: toml::Value = toml::from_str(&wrangler_text).unwrap();
    // Every source file of the worker: bindings are read in more than one module.
    let mut worker_src = String::new();
    for entry in std::fs::read_dir(root.join("edge-worker/src")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            worker_src.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    let edge = module_blocks("terraform/modules/edge");
    let edge_defaults = var_defaults(&edge);

    // Names: the naming module's production defaults are wrangler.toml's names, and the edge
    // module gives exactly those outputs to its resources.
    let producers = toml_str(&wrangler, &["queues", "producers"])
        .as_array()
        .unwrap();
    let consumers = toml_str(&wrangler, &["queues", "consumers"])
        .as_array()
        .unwrap();
    assert_eq!(producers.len(), 1, "one producer binding");
    assert_eq!(consumers.len(), 1, "one consumer");
    let (producer, consumer) = (&producers[0], &consumers[0]);
    assert_eq!(
        naming_output("worker_name"),
        toml_str(&wrangler, &["name"]).as_str().unwrap()
    );
    assert_eq!(
        naming_output("queue_name"),
        producer["queue"].as_str().unwrap()
    );
    assert_eq!(
        naming_output("queue_name"),
        consumer["queue"].as_str().unwrap()
    );
    assert_eq!(
        naming_output("dead_letter_queue_name"),
        consumer["dead_letter_queue"].as_str().unwrap()
    );
    assert_eq!(
        src(block(&edge, "module", &["naming"]).body(), "source"),
        "\"../naming\""
    );
    assert_eq!(
        src(
            block(&edge, "resource", &["cloudflare_worker", "edge"]).body(),
            "name"
        ),
        "module.naming.worker_name"
    );
    assert_eq!(
        src(
            block(&edge, "resource", &["cloudflare_queue", "beacons"]).body(),
            "queue_name"
        ),
        "module.naming.queue_name"
    );
    assert_eq!(
        src(
            block(&edge, "resource", &["cloudflare_queue", "dead_letter"]).body(),
            "queue_name"
        ),
        "module.naming.dead_letter_queue_name"
    );

    // Compatibility date and entry module.
    let locals = block(&edge, "locals", &[]).body();
    assert_eq!(
        string(attr(locals, "compatibility_date")),
        toml_str(&wrangler, &["compatibility_date"])
            .as_str()
            .unwrap()
    );
    let version = block(&edge, "resource", &["cloudflare_worker_version", "edge"]).body();
    assert_eq!(
        src(version, "compatibility_date"),
        "local.compatibility_date"
    );
    let main = toml_str(&wrangler, &["main"]).as_str().unwrap();
    assert_eq!(
        Path::new(main).file_name().unwrap().to_str().unwrap(),
        string(attr(locals, "main_module"))
    );
    assert_eq!(src(version, "main_module"), "local.main_module");

    // Bindings: the queue producer, every [vars] entry as plain text, the signing secret; each
    // one read by the worker code.
    let queue_binding = string(attr(locals, "queue_binding"));
    assert_eq!(queue_binding, producer["binding"].as_str().unwrap());
    let secret_binding = string(attr(locals, "secret_binding"));
    assert_eq!(secret_binding, "SHYNET_EDGE_SECRET");
    assert!(
        wrangler_text
            .lines()
            .any(|l| l.trim_start().starts_with('#') && l.contains(&secret_binding)),
        "wrangler.toml documents the {secret_binding} secret (in a comment: never its value)"
    );
    let Expression::Object(plain_vars) = attr(locals, "plain_vars") else {
        panic!("plain_vars is an object literal")
    };
    let tf_vars: BTreeSet<String> = plain_vars.keys().map(|k| k.to_string()).collect();
    let toml_vars: BTreeSet<String> = toml_str(&wrangler, &["vars"])
        .as_table()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        tf_vars, toml_vars,
        "plain-text bindings = wrangler.toml [vars]"
    );
    for name in tf_vars.iter().chain([&queue_binding, &secret_binding]) {
        assert!(
            worker_src.contains(&format!("\"{name}\"")),
            "edge-worker/src never reads binding {name}"
        );
    }
    let bindings = src(version, "bindings");
    for part in [
        "name = local.queue_binding",
        "type = \"queue\"",
        "queue_name = cloudflare_queue.beacons.queue_name",
        "for k in sort(keys(local.plain_vars))",
        "type = \"plain_text\"",
        "text = local.plain_vars[k]",
        "name = local.secret_binding",
        "type = \"secret_text\"",
        "text = var.edge_secret",
    ] {
        assert!(
            bindings.contains(part),
            "bindings lack `{part}`: {bindings}"
        );
    }

    // Plain-variable defaults equal wrangler.toml's values (AGGREGATOR_URL is per install).
    for (key, expr) in plain_vars.iter() {
        let key = key.to_string();
        if key == "AGGREGATOR_URL" {
            assert_eq!(expr.to_string(), "module.naming.aggregator_url");
            continue;
        }
        let text = expr.to_string();
        let var = text
            .split("var.")
            .nth(1)
            .map(|s| s.trim_end_matches(')'))
            .unwrap_or_else(|| panic!("{key} = {text} does not come from a variable"));
        let default = match &edge_defaults[var] {
            hcl::Value::String(s) => s.clone(),
            hcl::Value::Number(n) => n.to_string(),
            other => panic!("{var} default {other:?}"),
        };
        assert_eq!(
            default,
            toml_str(&wrangler, &["vars", &key]).as_str().unwrap(),
            "default of var.{var} vs wrangler.toml [vars].{key}"
        );
    }

    // Consumer settings.
    let qc = block(&edge, "resource", &["cloudflare_queue_consumer", "edge"]).body();
    assert_eq!(src(qc, "queue_id"), "cloudflare_queue.beacons.id");
    assert_eq!(src(qc, "script_name"), "cloudflare_worker.edge.name");
    assert_eq!(src(qc, "type"), "\"worker\"");
    assert_eq!(
        src(qc, "dead_letter_queue"),
        "cloudflare_queue.dead_letter.queue_name"
    );
    let settings = src(qc, "settings");
    let int = |v: &hcl::Value| v.as_u64().unwrap_or_else(|| panic!("{v:?} is no integer"));
    for (setting, var, toml_key, scale) in [
        ("batch_size", "max_batch_size", "max_batch_size", 1),
        (
            "max_wait_time_ms",
            "max_batch_timeout_secs",
            "max_batch_timeout",
            1000,
        ),
        ("max_retries", "max_retries", "max_retries", 1),
        ("max_concurrency", "max_concurrency", "max_concurrency", 1),
    ] {
        let wired = if scale == 1 {
            format!("{setting} = var.{var}")
        } else {
            format!("{setting} = var.{var} * {scale}")
        };
        assert!(
            settings.contains(&wired),
            "settings lack `{wired}`: {settings}"
        );
        assert_eq!(
            int(&edge_defaults[var]),
            consumer[toml_key].as_integer().unwrap() as u64,
            "default of var.{var} vs wrangler.toml consumer {toml_key}"
        );
    }

    // [observability] enabled = true.
    assert_eq!(
        toml_str(&wrangler, &["observability", "enabled"]).as_bool(),
        Some(true)
    );
    let worker = block(&edge, "resource", &["cloudflare_worker", "edge"]).body();
    assert_eq!(src(worker, "observability"), "{ enabled = true }");
}

/// The aggregator container as the Terraform module describes it.
struct Container {
    args: Vec<String>,
    listen: String,
    port_name: String,
    port: u16,
    readiness: (String, String),
    liveness: (String, String),
    migrate_args: Vec<String>,
    /// The admin (metrics) listener and its container port.
    metrics_listen: String,
    metrics_port: u16,
}

fn strings(v: hcl::Value) -> Vec<String> {
    match v {
        hcl::Value::Array(a) => a
            .into_iter()
            .map(|s| s.as_str().expect("string").to_owned())
            .collect(),
        other => panic!("expected a list, found {other:?}"),
    }
}

fn aggregator_container() -> Container {
    let agg = module_blocks("terraform/modules/aggregator");
    let eval = |e: &Expression| eval_in_module(&agg, &[], e);
    let deployment = block(
        &agg,
        "resource",
        &["kubernetes_deployment_v1", "aggregator"],
    );
    let pod = one(one(one(deployment.body(), "spec"), "template"), "spec");
    let c = one(pod, "container");
    let env_value = |name: &str| {
        nested(c, "env")
            .into_iter()
            .find(|e| string(attr(e.body(), "name")) == name)
            .map(|e| eval(attr(e.body(), "value")))
            .unwrap_or_else(|| panic!("no env {name}"))
    };
    let probe = |kind: &str| {
        let get = one(one(c, kind), "http_get");
        (string(attr(get, "path")), string(attr(get, "port")))
    };
    let named_port = |name: &str| {
        nested(c, "port")
            .into_iter()
            .map(|p| p.body())
            .find(|p| string(attr(p, "name")) == name)
            .unwrap_or_else(|| panic!("no container port named {name}"))
    };
    let port = named_port("http");
    let metrics = named_port("metrics");
    let job = block(&agg, "resource", &["kubernetes_job_v1", "migrate"]);
    let job_pod = one(one(one(job.body(), "spec"), "template"), "spec");
    Container {
        args: strings(eval(attr(c, "args"))),
        listen: env_value("SHYNET_LISTEN").as_str().unwrap().to_owned(),
        port_name: string(attr(port, "name")),
        port: eval(attr(port, "container_port")).as_u64().unwrap() as u16,
        readiness: probe("readiness_probe"),
        liveness: probe("liveness_probe"),
        migrate_args: strings(eval(attr(one(job_pod, "container"), "args"))),
        metrics_listen: env_value("SHYNET_METRICS_LISTEN")
            .as_str()
            .unwrap()
            .to_owned(),
        metrics_port: eval(attr(metrics, "container_port")).as_u64().unwrap() as u16,
    }
}

fn run(args: &[&str], db_url: &str) -> std::process::Output {
    Command::new(shynet_bin())
        .args(args)
        .env("DATABASE_URL", db_url)
        .env("SHYNET_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run shynet")
}

/// A new, empty (unmigrated) database in the test cluster, as a connection string.
async fn empty_database() -> String {
    let cluster = aggregator::testkit::cluster().unwrap();
    let name = format!("deploy_{}", std::process::id());
    let admin = aggregator::db::make_pool(cluster.dirs.pg_config("postgres"), 1).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let client = loop {
        match admin.get().await {
            Ok(c) => break c,
            Err(e) if Instant::now() > deadline => panic!("test cluster unreachable: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    format!(
        "host={} port={} user={} dbname={name}",
        cluster.dirs.socket_dir.display(),
        aggregator::embedded_pg::SOCKET_PORT,
        aggregator::embedded_pg::DB_NAME,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn kubernetes_probes_and_release_job_work_against_the_real_binary() {
    let c = aggregator_container();
    // The probes target the named container port, which is the port `serve` listens on.
    assert_eq!(c.readiness.1, c.port_name);
    assert_eq!(c.liveness.1, c.port_name);
    assert_eq!(c.listen, format!("0.0.0.0:{}", c.port));
    assert_eq!(c.metrics_listen, format!("0.0.0.0:{}", c.metrics_port));
    assert_ne!(c.metrics_port, c.port);
    assert_eq!(c.migrate_args, ["migrate"]);
    assert!(
        c.args.iter().any(|a| a == "--skip-migrations"),
        "replicas leave migrations to the release Job: {:?}",
        c.args
    );

    let db = empty_database().await;
    let args: Vec<&str> = c.args.iter().map(String::as_str).collect();

    // Replicas that skip migrations refuse to start on a schema nobody migrated…
    let out = run(&args, &db);
    assert!(
        !out.status.success(),
        "serve --skip-migrations on an empty database must fail, not create the schema"
    );

    // …the release Job applies the migrations once, and a re-run is a no-op…
    let migrate: Vec<&str> = c.migrate_args.iter().map(String::as_str).collect();
    let first = run(&migrate, &db);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let first = String::from_utf8_lossy(&first.stdout).into_owned();
    let applied: usize = first
        .trim()
        .strip_prefix("migrations applied: ")
        .unwrap_or_else(|| panic!("unexpected output: {first}"))
        .parse()
        .unwrap();
    assert!(applied > 0, "{first}");
    let again = run(&migrate, &db);
    assert!(again.status.success());
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).trim(),
        "migrations applied: 0"
    );

    // …then the replicas start with the module's exact arguments and the probes answer 200.
    let port = e2e_tests::free_port();
    // The module's metrics address, on loopback and a free port (other runs may hold its port).
    let metrics_port = e2e_tests::free_port();
    assert!(c.metrics_listen.starts_with("0.0.0.0:"));
    let mut serve = Command::new(shynet_bin())
        .args(&args)
        .env("DATABASE_URL", &db)
        .env("SHYNET_LISTEN", format!("127.0.0.1:{port}"))
        .env("SHYNET_METRICS_LISTEN", format!("127.0.0.1:{metrics_port}"))
        .env("SHYNET_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(serve.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with("shynet listening on http://"),
        "serve did not start: {line:?}"
    );
    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        async move {
            http.get(format!("http://127.0.0.1:{port}{path}"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        get(c.readiness.0.clone()).await,
        200,
        "readiness {}",
        c.readiness.0
    );
    assert_eq!(
        get(c.liveness.0.clone()).await,
        200,
        "liveness {}",
        c.liveness.0
    );
    // An unknown path is a 404, so the 200s above mean the routes exist.
    assert_eq!(get("/healthz/nope".into()).await, 404);
    // The metrics port answers Prometheus; the service port does not.
    let scrape = http
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), 200);
    assert!(scrape.text().await.unwrap().contains("shynet_queue_depth"));
    assert_eq!(get("/metrics".into()).await, 404);

    // The image's HEALTHCHECK asks the readiness route too.
    let dockerfile = std::fs::read_to_string(workspace_root().join("Dockerfile")).unwrap();
    let hc = dockerfile
        .lines()
        .skip_while(|l| !l.starts_with("HEALTHCHECK"))
        .take_while(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(hc.contains(&c.readiness.0), "Dockerfile HEALTHCHECK: {hc}");

    let _ = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status();
    let status = serve.wait().unwrap();
    assert!(status.success(), "serve exits cleanly on SIGTERM: {status}");
}
