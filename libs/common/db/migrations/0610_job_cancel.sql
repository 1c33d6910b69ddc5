-- POST /v1/jobs/{id}/cancel: a queued job becomes 'cancelled' at once; a running one gets
-- cancel_requested_at, and its worker stops at the next stage and marks it cancelled.
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled'));
ALTER TABLE jobs ADD COLUMN cancel_requested_at timestamptz;

-- Retention removes finished jobs, cancelled ones included.
DROP INDEX jobs_finished;
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE status IN ('succeeded', 'failed', 'cancelled');

-- GET /v1/jobs?status=...: one organization's jobs of one status, newest first.
CREATE INDEX jobs_org_status_created ON jobs (organization_id, status, created_at DESC);
