"""The `maintenance` consumer group on the `schedule` stream: backups and cleanup."""
