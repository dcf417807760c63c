//! `shynet`: the server and its admin commands. Parses flags/env, opens the database (a URL, or
//! the embedded cluster), runs the subcommand, and always releases the embedded cluster.

use aggregator::cli;
use aggregator::config::{Cli, Command, ServiceCommand};
use aggregator::db::{migrate, Database};
use aggregator::geo::GeoDb;
use aggregator::pools::Pools;
use aggregator::startup::{Application, ServeSettings};
use anyhow::Context;
use clap::{CommandFactory, FromArgMatches};
use std::process::ExitCode;

/// Prints a line to stdout. A closed pipe (`shynet service list | head -1`) is not an error
/// worth a panic: the reader has what it wanted, so the line is dropped quietly.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, $($arg)*).and_then(|_| out.flush());
    }};
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    cli.time_zone_given =
        matches.value_source("time_zone") == Some(clap::parser::ValueSource::CommandLine);
    aggregator::logging::init(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    // Malformed replica URLs are refused before a database is started (without echoing them).
    aggregator::replicas::parse_urls(&cli.db.read_database_url)?;
    // Commands that need no database.
    match &cli.command {
        Command::Ua => {
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            return cli::ua(stdin.lock(), std::io::BufWriter::new(stdout.lock()));
        }
        Command::Geoip { ip, geo } => {
            let (db, warnings) = GeoDb::open(&geo.maxmind_city_db, &geo.maxmind_asn_db);
            for w in warnings {
                tracing::warn!("{w}");
            }
            say!("{}", serde_json::to_string_pretty(&cli::geoip(ip, &db)?)?);
            return Ok(());
        }
        // A bad range is the caller's mistake: refuse it before starting a database for it.
        Command::Stats(a) => {
            cli::stats_window(
                a.start.as_deref(),
                a.end.as_deref(),
                cli.time_zone,
                chrono::Utc::now(),
            )?;
            aggregator::stats_cli::filters(a)?;
        }
        // Bad selectors and export arguments are refused before a database is started.
        Command::Delete(a) => aggregator::erasure_cli::check(a, cli.time_zone)?,
        Command::Export(a) => aggregator::export_cli::check(a, cli.time_zone)?,
        // A missing or foreign archive is refused before a database is started for it.
        Command::Restore(a) => aggregator::backup::check_archive(&a.from)?,
        _ => {}
    }
    let pool_size = match &cli.command {
        Command::Serve(s) => s.ingest.db_pool_size,
        Command::Demo(_) => 4,
        _ => 2,
    };
    let db = Database::open(cli.db.database_url.as_deref(), &cli.db.data_dir, pool_size).await?;
    let result = with_database(&cli, &db).await;
    let closed = db.close().await;
    result.and(closed)
}

async fn with_database(cli: &Cli, db: &Database) -> anyhow::Result<()> {
    let skip = matches!(&cli.command, Command::Serve(args) if args.skip_migrations);
    // A backup copies the schema as it is (e.g. before an upgrade); a restore brings its own.
    let as_is = matches!(&cli.command, Command::Backup(_) | Command::Restore(_));
    if skip {
        tracing::info!("migrations skipped (--skip-migrations): `shynet migrate` owns the schema");
    } else if !as_is {
        let applied = migrate(&db.pool).await?;
        if applied > 0 {
            tracing::info!(applied, "migrations applied");
        }
        if matches!(cli.command, Command::Migrate) {
            say!("migrations applied: {applied}");
        }
    }
    match &cli.command {
        Command::Migrate => Ok(()),
        Command::Serve(args) => {
            let (geo, warnings) = GeoDb::open(&args.geo.maxmind_city_db, &args.geo.maxmind_asn_db);
            for w in warnings {
                tracing::warn!("{w} (geography and network fields stay empty)");
            }
            let replicas = aggregator::replicas::ReplicaSet::open(
                &cli.db.read_database_url,
                args.ingest.dashboard_pool_size,
                std::time::Duration::from_secs(cli.db.replica_max_lag),
            )?;
            let pools = Pools::open(db.pool.clone(), &db.pg_config, args.ingest.pool_sizes())?
                .with_replicas(replicas)
                .on_local_cluster(db.cluster.is_some());
            let mut app = Application::start_with_dashboard(
                ServeSettings {
                    listen: args.listen,
                    tracking: args.tracking.clone(),
                    ingest: args.ingest.clone(),
                    time_zone: cli.time_zone,
                },
                (*args.dashboard).clone(),
                pools.clone(),
                geo,
            )
            .await
            .context("starting the server")?;
            // Bound before the first line, so whoever waits for it finds both listeners up.
            let metrics = match args.metrics_listen.0 {
                Some(addr) => Some(app.serve_metrics(addr).await?),
                None => None,
            };
            say!("shynet listening on http://{}", app.address());
            if let Some(bound) = metrics {
                say!("metrics on http://{bound}/metrics");
            }
            wait_for_signal().await;
            tracing::info!("shutting down: finishing requests and writing queued beacons");
            app.shutdown().await;
            pools.close();
            Ok(())
        }
        Command::Createadmin { email } => {
            let pw = cli::createadmin(&db.pool, email).await?;
            say!("Admin user `{}` created.\nPassword: {pw}", email.trim());
            Ok(())
        }
        Command::Service(ServiceCommand::Create {
            name,
            owner,
            origins,
            link,
            public_url,
        }) => {
            // `--time-zone` on this command is the new service's own zone.
            let time_zone = cli.time_zone_given.then(|| cli.time_zone.name());
            let s =
                cli::create_service(&db.pool, name, owner, origins, link, time_zone, public_url)
                    .await?;
            say!(
                "{}\n\nInstall snippet (paste before </body>):\n{}",
                s.id,
                s.snippet
            );
            Ok(())
        }
        Command::Service(ServiceCommand::List) => {
            for line in cli::list_services(&db.pool).await? {
                say!("{line}");
            }
            Ok(())
        }
        Command::Goal(g) => {
            for line in aggregator::goals_cli::run(&db.pool, g).await? {
                say!("{line}");
            }
            Ok(())
        }
        Command::Share(c) => {
            for line in aggregator::share_cli::run(&db.pool, c).await? {
                say!("{line}");
            }
            Ok(())
        }
        Command::Report(r) => {
            say!(
                "{}",
                aggregator::report_cli::run(&db.pool, r, cli.time_zone).await?
            );
            Ok(())
        }
        Command::Stats(a) => {
            let reads = aggregator::replicas::pool_for_cli(
                &cli.db.read_database_url,
                std::time::Duration::from_secs(cli.db.replica_max_lag),
                &db.pool,
            )
            .await?;
            let v = aggregator::stats_cli::run((&db.pool, &reads), a, cli.time_zone).await?;
            say!("{}", serde_json::to_string_pretty(&v)?);
            Ok(())
        }
        Command::Import(aggregator::import::ImportCommand::Shynet(a)) => {
            for line in aggregator::import::run(&db.pool, a).await?.lines() {
                say!("{line}");
            }
            Ok(())
        }
        Command::Token(t) => {
            say!("{}", aggregator::token_cli::run(&db.pool, t).await?);
            Ok(())
        }
        Command::Demo(a) => {
            let s = aggregator::demo::run(
                &db.pool,
                a.service,
                a.hits,
                a.days,
                a.seed,
                a.tracking.session_memory_timeout as f64,
            )
            .await?;
            say!(
                "demo: {} hits, {} sessions ({:.0}% bounces), {} events written in {:.1} s ({:.0} hits/s), rolled up in {:.1} s",
                s.hits,
                s.sessions,
                100.0 * s.bounce_rate,
                s.events,
                s.write_secs,
                s.hits as f64 / s.write_secs.max(1e-9),
                s.rollup_secs
            );
            Ok(())
        }
        Command::Backup(a) => {
            let conn = aggregator::backup::connection(cli.db.database_url.as_deref(), db)?;
            let s = aggregator::backup::backup(&db.pool, &conn, &a.out).await?;
            say!(
                "backup written to {} ({} bytes, {} tables)",
                a.out.display(),
                s.bytes,
                s.tables
            );
            Ok(())
        }
        Command::Restore(a) => {
            let conn = aggregator::backup::connection(cli.db.database_url.as_deref(), db)?;
            let tables = aggregator::backup::restore(&db.pool, &conn, &a.from, a.force).await?;
            say!("restored {} ({tables} tables)", a.from.display());
            Ok(())
        }
        Command::Delete(a) => {
            for line in aggregator::erasure_cli::run(&db.pool, a, cli.time_zone).await? {
                say!("{line}");
            }
            Ok(())
        }
        Command::Export(a) => {
            let line = aggregator::export_cli::run(&db.pool, a, cli.time_zone).await?;
            say!("{line}");
            Ok(())
        }
        Command::Ua | Command::Geoip { .. } => Ok(()),
    }
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
