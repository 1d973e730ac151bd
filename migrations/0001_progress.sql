-- Team progress: teams, approvals and revocations (an append-only audit trail), hint reveals.
--
-- Ids from Discord (guild, channel, user) are unsigned 64-bit; they are stored bit for bit
-- in INTEGER columns (see store::db_id). Times are Unix milliseconds, UTC.
-- Migrations are append-only: never edit this file once it has landed; add the next number.

-- Marks the file as a hackcoach database ("hack" in ASCII), so `Store::open` can refuse
-- files that belong to something else.
PRAGMA application_id = 1751212907;

CREATE TABLE teams (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    channel_id       INTEGER NOT NULL,
    name             TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    created_by       INTEGER NOT NULL,
    renamed_at       INTEGER,
    renamed_by       INTEGER,
    last_activity_at INTEGER NOT NULL,
    UNIQUE (guild_id, channel_id)
);

-- Every rename, so a team's earlier names stay known.
CREATE TABLE team_renames (
    id         INTEGER PRIMARY KEY,
    team_id    INTEGER NOT NULL REFERENCES teams (id),
    old_name   TEXT    NOT NULL,
    new_name   TEXT    NOT NULL,
    renamed_by INTEGER NOT NULL,
    renamed_at INTEGER NOT NULL
);

CREATE TABLE approvals (
    id         INTEGER PRIMARY KEY,
    team_id    INTEGER NOT NULL REFERENCES teams (id),
    challenge  INTEGER NOT NULL CHECK (challenge >= 1),
    coach_id   INTEGER NOT NULL,
    coach_name TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    note       TEXT,
    -- The coach approved although an earlier challenge was not approved.
    forced     INTEGER NOT NULL DEFAULT 0 CHECK (forced IN (0, 1))
);
CREATE INDEX approvals_by_team ON approvals (team_id, challenge);

-- An approval is live until a revocation names it; at most one revocation each.
CREATE TABLE revocations (
    id          INTEGER PRIMARY KEY,
    approval_id INTEGER NOT NULL UNIQUE REFERENCES approvals (id),
    coach_id    INTEGER NOT NULL,
    coach_name  TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    reason      TEXT
);

-- The audit trail is append-only, enforced by the database itself.
CREATE TRIGGER approvals_no_update BEFORE UPDATE ON approvals
BEGIN SELECT RAISE(ABORT, 'approvals are an audit trail: append only'); END;
CREATE TRIGGER approvals_no_delete BEFORE DELETE ON approvals
BEGIN SELECT RAISE(ABORT, 'approvals are an audit trail: append only'); END;
CREATE TRIGGER revocations_no_update BEFORE UPDATE ON revocations
BEGIN SELECT RAISE(ABORT, 'revocations are an audit trail: append only'); END;
CREATE TRIGGER revocations_no_delete BEFORE DELETE ON revocations
BEGIN SELECT RAISE(ABORT, 'revocations are an audit trail: append only'); END;

-- How many steps of a guide section a team has revealed, and who revealed the first and last.
CREATE TABLE hint_reveals (
    team_id    INTEGER NOT NULL REFERENCES teams (id),
    section_id TEXT    NOT NULL,
    -- The section's challenge when revealed (NULL outside challenges), for per-challenge counts.
    challenge  INTEGER,
    revealed   INTEGER NOT NULL CHECK (revealed >= 1),
    first_by   INTEGER NOT NULL,
    first_at   INTEGER NOT NULL,
    last_by    INTEGER NOT NULL,
    last_at    INTEGER NOT NULL,
    PRIMARY KEY (team_id, section_id)
);
