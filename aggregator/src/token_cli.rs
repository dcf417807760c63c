//! `shynet token issue EMAIL`: a new API token for scripts, printed once. It replaces the
//! user's previous token (which stops working at once), like "new token" on the account page;
//! only its SHA-256 is stored.

use anyhow::Context;
use clap::Subcommand;
use deadpool_postgres::Pool;

/// `shynet token …`
#[derive(Debug, Clone, Subcommand)]
pub enum TokenCommand {
    /// Print a new API token for the user with this address (replacing their previous one).
    Issue {
        /// The user's e-mail address (their login).
        email: String,
    },
}

/// Runs a `shynet token` command; returns the token.
pub async fn run(pool: &Pool, cmd: &TokenCommand) -> anyhow::Result<String> {
    let TokenCommand::Issue { email } = cmd;
    let c = pool.get().await?;
    let user = models::users::id_by_email(&**c, email.trim())
        .await?
        .with_context(|| format!("no user with the email `{}`", email.trim()))?;
    let token = format!("shy_{}", dashboard::auth::token::new_token());
    models::users::set_api_token(&**c, user, &dashboard::auth::token::hash(&token)).await?;
    Ok(token)
}
