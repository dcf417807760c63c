-- Idempotency tokens of custom events: an event re-sent with the same token (a client's retry
-- after a lost answer, a double call) is stored once. The writer claims a batch's tokens with
-- one `INSERT … ON CONFLICT … RETURNING` in the batch's own transaction, so concurrent writers
-- (several replicas, the edge and direct ingest) agree on which copy counts. A token is
-- remembered for a day (`writer::events::EVENT_TOKEN_KEEP_SECS`); the maintenance pass deletes
-- older ones. Tokens are random strings chosen by the sender and are keyed by service only: no
-- visitor data. Deleted with their service.
CREATE TABLE event_tokens (
    service_id UUID NOT NULL,
    token      TEXT NOT NULL,
    seen_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (service_id, token)
);
CREATE INDEX event_tokens_seen_idx ON event_tokens (seen_at);
