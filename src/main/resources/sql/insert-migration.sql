INSERT INTO migration (migration_id, flow, country_code, national_number, phone_e164, active_phone, batch_id, state,
                       step, attempt, params, secrets, control, result, next_attempt_at, version, created_at, updated_at,
                       state_changed_at)
VALUES (:migrationId, :flow, :countryCode, :nationalNumber, :phoneE164, :phoneE164, :batchId, :state,
        :step, 0, :params, :secrets, :control, '{}', :now, 0, :now, :now, :now)
