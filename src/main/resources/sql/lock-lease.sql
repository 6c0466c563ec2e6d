SELECT token FROM app_lease WHERE name = :name AND owner = :owner AND token = :token FOR UPDATE
