DELETE FROM provider_pause
