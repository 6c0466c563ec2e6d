SELECT flow, awaiting, COUNT(*) AS migrations, MIN(updated_at) AS oldest
  FROM migration WHERE state = 'AWAITING_INPUT' GROUP BY flow, awaiting
