-- The AI step counts the calls and tokens one job has already spent (across worker
-- restarts and arq retries) before every Gemini call.
CREATE INDEX ai_usage_job ON ai_usage (job_id) WHERE job_id IS NOT NULL;
