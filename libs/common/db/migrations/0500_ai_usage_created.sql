-- The platform's tokens since midnight (the AI budget gauge, read at every scrape) scan
-- only today's rows.
CREATE INDEX ai_usage_created ON ai_usage (created_at);
