-- Scheduled maintenance. One row per (task, slot): a schedule event delivered twice, or
-- taken over from a dead worker, finds the run that already happened.
CREATE TABLE maintenance_runs (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    task          text NOT NULL CHECK (task IN ('backup', 'cleanup')),
    slot          timestamptz NOT NULL,
    entry_id      text,
    status        text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    consumer      text,
    result        jsonb,
    error         text,
    started_at    timestamptz NOT NULL DEFAULT now(),
    heartbeat_at  timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    UNIQUE (task, slot)
);
CREATE INDEX maintenance_runs_started ON maintenance_runs (started_at);

-- What a backup held when it was taken (row counts in the dump's own snapshot, the
-- migration version), so verification compares a restore against the same moment.
ALTER TABLE backups
    ADD COLUMN run_id            uuid REFERENCES maintenance_runs (id) ON DELETE SET NULL,
    ADD COLUMN server_version    text,
    ADD COLUMN migration_version integer,
    ADD COLUMN table_rows        jsonb,
    ADD COLUMN verified_at       timestamptz;
CREATE INDEX backups_run ON backups (run_id) WHERE run_id IS NOT NULL;

-- Retention sweeps and key rotation look these up.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE status IN ('succeeded', 'failed');
CREATE INDEX repositories_webhook_key ON repositories (webhook_key_id)
    WHERE webhook_key_id IS NOT NULL;
