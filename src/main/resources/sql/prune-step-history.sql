DELETE FROM step_history
 WHERE migration_id IN (SELECT migration_id FROM migration
                         WHERE state IN ('COMPLETED', 'FAILED', 'CANCELLED') AND updated_at < :cutoff)
    OR (ended_at < :cutoff
        AND NOT EXISTS (SELECT 1 FROM migration m WHERE m.migration_id = step_history.migration_id))
