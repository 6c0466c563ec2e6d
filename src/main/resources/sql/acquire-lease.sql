UPDATE app_lease SET owner = :owner, token = :token, held_until = :until
 WHERE name = :name AND (owner IS NULL OR held_until < :now)
