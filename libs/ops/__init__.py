"""Operations: the schedule contract, backups (take, verify, restore, retain), cleanup,
and re-encryption of stored credentials. Each module has one job; services call them."""
