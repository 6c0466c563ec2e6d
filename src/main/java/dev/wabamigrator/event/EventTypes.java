package dev.wabamigrator.event;

import java.util.List;

/** The CloudEvents {@code type} values of the events topic (design.md §2), the only ones we emit. */
public final class EventTypes {
    public static final String ACCEPTED = "waba.migration.accepted";
    public static final String STEP_SUCCEEDED = "waba.migration.step.succeeded";
    public static final String STEP_RETRY_SCHEDULED = "waba.migration.step.retry-scheduled";
    public static final String AWAITING_INPUT = "waba.migration.awaiting-input";
    public static final String COMPLETED = "waba.migration.completed";
    public static final String FAILED = "waba.migration.failed";
    public static final String CANCELLED = "waba.migration.cancelled";
    public static final String COMMAND_REJECTED = "waba.migration.command.rejected";
    /** An operator issued a command over JMX (who, why, which command, applied or rejected). */
    public static final String OPERATOR_ACTION = "waba.migration.operator-action";
    /** Where a batch stands (counts by state and awaiting kind, rate, ETA); key and subject are the batch id. */
    public static final String BATCH_PROGRESS = "waba.migration.batch.progress";
    /** The answer to a CheckMigration: every preflight check's result; key the number, subject the commandId. */
    public static final String PREFLIGHT_CHECKED = "waba.migration.preflight.checked";
    /** The templates step's report: counts, and every failed or skipped template with its reason. */
    public static final String TEMPLATES_MIGRATED = "waba.migration.templates.migrated";

    /** A provider's webhook about a migrated number (Meta: account_update, phone_number_name_update). */
    public static final String PROVIDER_NOTICE = "waba.migration.provider-notice";

    public static final List<String> ALL = List.of(ACCEPTED, STEP_SUCCEEDED, STEP_RETRY_SCHEDULED, AWAITING_INPUT,
            COMPLETED, FAILED, CANCELLED, COMMAND_REJECTED, OPERATOR_ACTION, BATCH_PROGRESS, PREFLIGHT_CHECKED,
            PROVIDER_NOTICE, TEMPLATES_MIGRATED);

    private EventTypes() {
    }
}
