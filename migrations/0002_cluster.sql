-- Cluster checks: each team's kubeconfig, sealed with XChaCha20-Poly1305 (associated data:
-- guild id + channel id, so a record moved to another team does not open), and the team's
-- latest check for /status. `/cluster forget` deletes the credential row.
-- Migrations are append-only: never edit this file once it has landed; add the next number.

CREATE TABLE cluster_credentials (
    team_id  INTEGER PRIMARY KEY REFERENCES teams (id),
    sealed   BLOB    NOT NULL,
    -- The API server URL, for display only; the sealed record is what the client uses.
    server   TEXT    NOT NULL,
    saved_at INTEGER NOT NULL,
    saved_by INTEGER NOT NULL
);

CREATE TABLE cluster_checks (
    team_id    INTEGER PRIMARY KEY REFERENCES teams (id),
    checked_at INTEGER NOT NULL,
    errors     INTEGER NOT NULL,
    warnings   INTEGER NOT NULL,
    -- One line for /status, written by the bot (finding codes and counts, no secrets).
    summary    TEXT    NOT NULL
);
