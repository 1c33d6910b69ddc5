"""The webhook ingest consumer: the `webhooks` stream in, jobs and bookkeeping out."""
