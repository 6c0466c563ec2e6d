SELECT scanned_until FROM batch_progress_scan WHERE name = 'migration-updates'
