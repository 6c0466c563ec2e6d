SELECT change_key FROM meta_webhook_change WHERE change_key = :changeKey
