SELECT flow, state, awaiting, COUNT(*) AS migrations,
       SUM(CASE WHEN updated_at > :windowStart THEN 1 ELSE 0 END) AS changed_in_window,
       MIN(created_at) AS first_created_at
  FROM migration
 WHERE batch_id = :batchId
 GROUP BY flow, state, awaiting
