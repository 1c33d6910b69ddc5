-- Rehearsals of generated CI, run on a user's machine (`autodevops ci rehearse --upload`)
-- and uploaded: the platform never runs one. One row per upload; the dashboard shows the
-- newest of the workflow it displays (workflow_sha256 names the exact text rehearsed, as a
-- rerun of CI generation replaces a ci_configs row's content in place).
CREATE TABLE ci_rehearsals (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    repository_id    uuid NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    ci_config_id     uuid NOT NULL REFERENCES ci_configs (id) ON DELETE CASCADE,
    workflow_sha256  text NOT NULL,
    commit_sha       text,
    outcome          text NOT NULL
                     CHECK (outcome IN ('passed', 'failed', 'partial', 'not_rehearsed')),
    report           jsonb NOT NULL,
    uploaded_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ci_rehearsals_config ON ci_rehearsals (organization_id, ci_config_id, created_at DESC);
