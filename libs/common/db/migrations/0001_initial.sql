-- The whole data model of DESIGN.md §5. Every tenant row carries organization_id.

CREATE TABLE users (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    login       text NOT NULL UNIQUE,
    github_id   bigint UNIQUE,
    name        text,
    email       text,
    avatar_url  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organizations (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug              text NOT NULL UNIQUE,
    name              text NOT NULL,
    personal_owner_id uuid UNIQUE REFERENCES users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE api_tokens (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            text NOT NULL,
    token_hash      bytea NOT NULL UNIQUE,
    prefix          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    expires_at      timestamptz,
    revoked_at      timestamptz
);
CREATE INDEX api_tokens_org_user ON api_tokens (organization_id, user_id);

CREATE TABLE github_credentials (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    ciphertext      bytea NOT NULL,
    key_id          text NOT NULL,
    scopes          text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX github_credentials_key ON github_credentials (key_id);

CREATE TABLE repositories (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider            text NOT NULL CHECK (provider IN ('github', 'git', 'local')),
    full_name           text NOT NULL,
    clone_url           text NOT NULL,
    default_branch      text,
    last_commit         text,
    last_synced_at      timestamptz,
    visibility          text,
    topics              text[] NOT NULL DEFAULT '{}',
    github_id           bigint,
    webhook_id          bigint,
    webhook_secret      bytea,
    webhook_key_id      text,
    created_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, clone_url)
);
CREATE INDEX repositories_full_name ON repositories (provider, lower(full_name));

CREATE TABLE jobs (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    repository_id   uuid REFERENCES repositories (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('sync', 'analysis', 'ci_generation')),
    commit_sha      text,
    status          text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    trigger         text NOT NULL,
    requested_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    params          jsonb NOT NULL DEFAULT '{}',
    result          jsonb,
    error           text,
    error_type      text,
    dedup_key       text NOT NULL,
    trace_id        text,
    trace_context   jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    enqueued_at     timestamptz,
    started_at      timestamptz,
    finished_at     timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- One live job per dedup key: enqueueing the same work twice finds the first row.
CREATE UNIQUE INDEX jobs_live_dedup ON jobs (dedup_key) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_org_created ON jobs (organization_id, created_at DESC);
CREATE INDEX jobs_repo_created ON jobs (repository_id, created_at DESC);
CREATE INDEX jobs_live ON jobs (updated_at) WHERE status IN ('queued', 'running');

CREATE TABLE analyses (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    repository_id       uuid NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    job_id              uuid UNIQUE REFERENCES jobs (id) ON DELETE SET NULL,
    commit_sha          text NOT NULL,
    branch              text,
    content_digest      text NOT NULL,
    report_version      integer NOT NULL,
    report              jsonb NOT NULL,
    health_score        integer,
    ai_status           text NOT NULL DEFAULT 'off',
    ai_model            text,
    ai_prompt_tokens    integer NOT NULL DEFAULT 0,
    ai_output_tokens    integer NOT NULL DEFAULT 0,
    ai_thinking_tokens  integer NOT NULL DEFAULT 0,
    ai_total_tokens     integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX analyses_digest ON analyses (content_digest);
CREATE INDEX analyses_repo_created ON analyses (repository_id, created_at DESC);
CREATE INDEX analyses_org ON analyses (organization_id, created_at DESC);

CREATE TABLE ci_configs (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    analysis_id         uuid NOT NULL REFERENCES analyses (id) ON DELETE CASCADE,
    job_id              uuid REFERENCES jobs (id) ON DELETE SET NULL,
    platform            text NOT NULL CHECK (platform IN ('github', 'gitlab')),
    path                text NOT NULL,
    content             text NOT NULL,
    valid               boolean NOT NULL,
    validation          jsonb NOT NULL,
    score_before        integer,
    score_after         integer,
    pull_request_url    text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (analysis_id, platform)
);
CREATE INDEX ci_configs_org ON ci_configs (organization_id, created_at DESC);

CREATE TABLE ai_usage (
    id              bigserial PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         uuid REFERENCES users (id) ON DELETE SET NULL,
    job_id          uuid REFERENCES jobs (id) ON DELETE SET NULL,
    model           text NOT NULL,
    outcome         text NOT NULL DEFAULT 'ok',
    prompt_tokens   integer NOT NULL DEFAULT 0,
    output_tokens   integer NOT NULL DEFAULT 0,
    thinking_tokens integer NOT NULL DEFAULT 0,
    tokens_used     integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_usage_user_created ON ai_usage (user_id, created_at);
CREATE INDEX ai_usage_org_created ON ai_usage (organization_id, created_at);

CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    hook_id         bigint NOT NULL DEFAULT 0,
    delivery_id     text NOT NULL,
    event           text NOT NULL,
    action          text,
    organization_id uuid REFERENCES organizations (id) ON DELETE CASCADE,
    repository_id   uuid REFERENCES repositories (id) ON DELETE SET NULL,
    status          text NOT NULL DEFAULT 'received',
    error           text,
    received_at     timestamptz NOT NULL DEFAULT now(),
    processed_at    timestamptz,
    UNIQUE (hook_id, delivery_id)
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);

CREATE TABLE backups (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    path            text NOT NULL,
    size_bytes      bigint,
    sha256          text,
    status          text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    verified        boolean NOT NULL DEFAULT false,
    verification    jsonb,
    error           text,
    trigger         text NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);
CREATE INDEX backups_started ON backups (started_at DESC);
