-- Nonces of signed edge requests (batch POSTs and config GETs) seen within the signature
-- window. A signature is valid for MAX_SKEW_SECS either side of its timestamp; remembering its
-- nonce until then, in the database every aggregator replica shares, refuses a captured
-- request replayed to any replica. `expires_at` is the signed time plus that window; the
-- maintenance job deletes rows well past it.
CREATE TABLE edge_nonces (
    nonce      BYTEA PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);
-- Rows arrive in rough time order: a BRIN index makes the purge cheap at almost no write cost.
CREATE INDEX edge_nonces_expires_idx ON edge_nonces USING brin (expires_at);
