INSERT INTO meta_webhook_change (change_key, field, applied_at) VALUES (:changeKey, :field, :now)
