SELECT outcome FROM processed_command WHERE command_id = :commandId
