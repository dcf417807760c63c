//! The application a browser test drives: the real server in this process on a fresh, migrated
//! database of the throwaway cluster, with one admin whose password the test signs in with.

use crate::seed::{admin_service, ADMIN_EMAIL};
use aggregator::config::TrackingArgs;
use aggregator::geo::GeoDb;
use aggregator::startup::{Application, ServeSettings};
use deadpool_postgres::Pool;
use std::time::Duration;
use uuid::Uuid;

/// A fresh database with the admin [`ADMIN_EMAIL`] and no server yet: tests that write their
/// rows before any maintenance pass can run seed here, then [`AdminDb::serve`].
pub struct AdminDb {
    /// The database.
    pub pool: Pool,
    /// The admin's generated password.
    pub password: String,
}

impl AdminDb {
    /// A new migrated database with the admin.
    pub async fn fresh() -> AdminDb {
        let (pool, _) = aggregator::testkit::fresh_db()
            .await
            .expect("throwaway Postgres");
        let password = aggregator::cli::createadmin(&pool, ADMIN_EMAIL)
            .await
            .expect("create the admin");
        AdminDb { pool, password }
    }

    /// Starts the application on this database (display zone UTC, no GeoIP).
    pub async fn serve(self, tracking: TrackingArgs) -> BrowserApp {
        let app = Application::start(
            ServeSettings {
                listen: "127.0.0.1:0".parse().expect("loopback address"),
                tracking,
                ingest: Default::default(),
                time_zone: chrono_tz::UTC,
            },
            self.pool.clone(),
            GeoDb::empty(),
        )
        .await
        .expect("start the application");
        let base = format!("http://{}", app.address());
        BrowserApp {
            app,
            pool: self.pool,
            base,
            password: self.password,
        }
    }
}

/// A running application with its database and admin.
pub struct BrowserApp {
    /// The server.
    pub app: Application,
    /// Its database.
    pub pool: Pool,
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// The password of [`ADMIN_EMAIL`].
    pub password: String,
}

impl BrowserApp {
    /// The application with default tracking settings.
    pub async fn start() -> BrowserApp {
        AdminDb::fresh().await.serve(TrackingArgs::default()).await
    }

    /// The application whose tracker sends a heartbeat every `ms` milliseconds (a session is
    /// online while seen within two of them).
    pub async fn start_with_heartbeat(ms: u64) -> BrowserApp {
        let tracking = TrackingArgs {
            script_heartbeat_frequency: ms,
            ..TrackingArgs::default()
        };
        AdminDb::fresh().await.serve(tracking).await
    }

    /// `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A new service of the admin's, named `name`, with no traffic.
    pub async fn service(&self, name: &str) -> Uuid {
        let c = self.pool.get().await.expect("a connection");
        admin_service(&c, name, "").await
    }

    /// Whether the service comes to have at least `n` hits within `timeout`.
    pub async fn hits_reach(&self, svc: Uuid, n: i64, timeout: Duration) -> bool {
        crate::eventually(timeout, || async {
            let c = self.pool.get().await.ok()?;
            let got: i64 = c
                .query_one("SELECT count(*) FROM hits WHERE service_id = $1", &[&svc])
                .await
                .ok()?
                .get(0);
            (got >= n).then_some(())
        })
        .await
        .is_some()
    }

    /// Stops the server.
    pub async fn shutdown(self) {
        self.app.shutdown().await;
    }
}
