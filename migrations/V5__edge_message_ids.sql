-- The queue messages whose beacons the aggregator applied, by a 128-bit hash of the platform's
-- message id. A batch id only recognises the same group of messages; when the edge's consumer
-- dies between the aggregator's commit and its acknowledgement, the platform redelivers those
-- messages in other groups, and only a per-message record tells that they were applied.
-- Kept as long as batch ids (the maintenance job deletes older rows).
CREATE TABLE ingest_messages (
    id          UUID PRIMARY KEY,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Rows arrive in time order: a BRIN index makes the purge cheap at almost no write cost.
CREATE INDEX ingest_messages_received_idx ON ingest_messages USING brin (received_at);
