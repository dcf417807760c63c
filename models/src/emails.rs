//! A user's email addresses (`user_emails`). Only a verified address is unique across users: an
//! unverified claim reserves nothing, and when someone verifies an address, other users'
//! unverified claims of it are dropped (the proven owner wins over a squatter).

use tokio_postgres::GenericClient;

/// One address row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Address {
    /// Row id.
    pub id: i64,
    /// The address as entered.
    pub email: String,
    /// Ownership proven by a mailed link.
    pub verified: bool,
    /// The login address.
    pub primary: bool,
}

fn row(r: &tokio_postgres::Row) -> Address {
    Address {
        id: r.get(0),
        email: r.get(1),
        verified: r.get(2),
        primary: r.get(3),
    }
}

/// The user's addresses, primary first.
pub async fn list<C: GenericClient>(
    c: &C,
    user_id: i64,
) -> Result<Vec<Address>, tokio_postgres::Error> {
    Ok(c.query(
        "SELECT id, email, verified, is_primary FROM user_emails WHERE user_id = $1
             ORDER BY is_primary DESC, email",
        &[&user_id],
    )
    .await?
    .iter()
    .map(row)
    .collect())
}

/// One of the user's addresses.
pub async fn owned<C: GenericClient>(
    c: &C,
    user_id: i64,
    id: i64,
) -> Result<Option<Address>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT id, email, verified, is_primary FROM user_emails WHERE id = $1 AND user_id = $2",
        &[&id, &user_id],
    )
    .await?
    .as_ref()
    .map(row))
}

/// The text of an address row, whoever owns it (a verification link names its row).
pub async fn address<C: GenericClient>(
    c: &C,
    id: i64,
) -> Result<Option<String>, tokio_postgres::Error> {
    Ok(
        c.query_opt("SELECT email FROM user_emails WHERE id = $1", &[&id])
            .await?
            .map(|r| r.get(0)),
    )
}

/// The user who verified `email`, if anyone did: only a proven address may name a person (a
/// collaborator, say), since an unverified claim could be anyone's.
pub async fn verified_owner<C: GenericClient>(
    c: &C,
    email: &str,
) -> Result<Option<i64>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT user_id FROM user_emails WHERE lower(email) = lower($1) AND verified",
        &[&email],
    )
    .await?
    .map(|r| r.get(0)))
}

/// Adds an unverified address; `None` when it is verified by someone, or already the user's.
pub async fn add<C: GenericClient>(
    c: &C,
    user_id: i64,
    email: &str,
) -> Result<Option<i64>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "INSERT INTO user_emails (user_id, email)
             SELECT $1, $2 WHERE NOT EXISTS (
                 SELECT 1 FROM user_emails WHERE lower(email) = lower($2) AND verified)
             ON CONFLICT DO NOTHING RETURNING id",
        &[&user_id, &email],
    )
    .await?
    .map(|r| r.get(0)))
}

/// Marks every address of a new user unverified and returns the (only) one's id: the insert
/// trigger adds the login as verified primary, right for admins created on the command line
/// but not for a self-claimed address.
pub async fn unverify_new<C: GenericClient>(
    c: &C,
    user_id: i64,
) -> Result<i64, tokio_postgres::Error> {
    Ok(c.query_one(
        "UPDATE user_emails SET verified = false WHERE user_id = $1 RETURNING id",
        &[&user_id],
    )
    .await?
    .get(0))
}

/// Whether an address is taken for a new account: verified by someone, or someone's login.
pub async fn taken_for_signup<C: GenericClient>(
    c: &C,
    email: &str,
) -> Result<bool, tokio_postgres::Error> {
    Ok(c.query_one(
        "SELECT EXISTS (SELECT 1 FROM user_emails WHERE lower(email) = lower($1) AND verified)
                 OR EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1))",
        &[&email],
    )
    .await?
    .get(0))
}

/// Whether another account logs in with this address (an unverified sign-up claim: it stays
/// that account's login, so the address cannot become this user's login).
pub async fn login_of_other<C: GenericClient>(
    c: &C,
    user_id: i64,
    email: &str,
) -> Result<bool, tokio_postgres::Error> {
    Ok(c.query_one(
        "SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1) AND id <> $2)",
        &[&email, &user_id],
    )
    .await?
    .get(0))
}

/// Makes a verified address the user's primary (and login). Run it in a transaction.
pub async fn make_primary<C: GenericClient>(
    c: &C,
    user_id: i64,
    a: &Address,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "UPDATE user_emails SET is_primary = false WHERE user_id = $1",
        &[&user_id],
    )
    .await?;
    c.execute(
        "UPDATE user_emails SET is_primary = true WHERE id = $1 AND user_id = $2",
        &[&a.id, &user_id],
    )
    .await?;
    c.execute(
        "UPDATE users SET email = $2 WHERE id = $1",
        &[&user_id, &a.email],
    )
    .await?;
    Ok(())
}

/// Removes a non-primary address of the user.
pub async fn remove<C: GenericClient>(
    c: &C,
    user_id: i64,
    id: i64,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "DELETE FROM user_emails WHERE id = $1 AND user_id = $2 AND NOT is_primary",
        &[&id, &user_id],
    )
    .await?;
    Ok(())
}

/// Marks an address verified and drops other users' unverified, non-primary claims of it
/// (a primary claim is another account's login and stays; it can never be verified now).
/// Returns false when someone else verified it first. Run it in a transaction.
pub async fn verify<C: GenericClient>(c: &C, email_id: i64) -> Result<bool, tokio_postgres::Error> {
    let email: Option<String> = c
        .query_opt(
            "SELECT email FROM user_emails WHERE id = $1 FOR UPDATE",
            &[&email_id],
        )
        .await?
        .map(|r| r.get(0));
    let Some(email) = email else {
        return Ok(false);
    };
    let other_owner = c
        .query_opt(
            "SELECT 1 FROM user_emails WHERE lower(email) = lower($1) AND verified AND id <> $2",
            &[&email, &email_id],
        )
        .await?;
    if other_owner.is_some() {
        return Ok(false);
    }
    c.execute(
        "DELETE FROM user_emails WHERE lower(email) = lower($1) AND id <> $2
           AND NOT verified AND NOT is_primary",
        &[&email, &email_id],
    )
    .await?;
    c.execute(
        "UPDATE user_emails SET verified = true WHERE id = $1",
        &[&email_id],
    )
    .await?;
    Ok(true)
}

/// The account and stored address a password reset for `email` goes to: a verified or primary
/// address of an active user. A verified owner is preferred over a primary unverified claim.
pub async fn reset_target<C: GenericClient>(
    c: &C,
    email: &str,
) -> Result<Option<(i64, String)>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT u.id, e.email FROM user_emails e JOIN users u ON u.id = e.user_id
             WHERE lower(e.email) = lower($1) AND (e.verified OR e.is_primary) AND u.is_active
             ORDER BY e.verified DESC LIMIT 1",
        &[&email],
    )
    .await?
    .map(|r| (r.get(0), r.get(1))))
}
