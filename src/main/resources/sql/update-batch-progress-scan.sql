UPDATE batch_progress_scan SET scanned_until = :until WHERE name = 'migration-updates'
