-- Score history: one row per analysis, kept after retention prunes the analyses (a row is
-- ~200 bytes), read by GET /v1/repos/{id}/history and the regression rule.
CREATE TABLE score_history (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    repository_id   uuid NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    analysis_id     uuid UNIQUE REFERENCES analyses (id) ON DELETE SET NULL,
    commit_sha      text NOT NULL,
    branch          text,
    pull_request    integer,
    score           integer NOT NULL,
    band            text NOT NULL,
    categories      jsonb NOT NULL DEFAULT '{}',
    -- "source:rule:path" of each critical finding, to tell a new one from an old one.
    critical        text[] NOT NULL DEFAULT '{}',
    regressed       boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX score_history_repo ON score_history (organization_id, repository_id, id DESC);
CREATE INDEX score_history_created ON score_history (organization_id, repository_id, created_at);
