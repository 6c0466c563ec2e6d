UPDATE app_lease SET held_until = :until WHERE name = :name AND owner = :owner AND token = :token
