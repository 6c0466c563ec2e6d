UPDATE app_lease SET owner = :owner, held_until = :until
 WHERE name = :name AND (owner = :owner OR owner IS NULL OR held_until < :now)
