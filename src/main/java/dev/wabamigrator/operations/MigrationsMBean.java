package dev.wabamigrator.operations;

/**
 * {@code waba-migrator:type=Migrations}: migrations for operators, over JMX, Jolokia and Hawtio. Every operation takes
 * and returns plain strings (JSON), so scripts can call it through Jolokia. Actions run the same command path as the
 * commands topic and are recorded as operator actions. A blank filter matches everything.
 */
public interface MigrationsMBean {
    /** Migrations by flow and state: {@code {"total":n,"byFlow":{"META_MPS":{"RUNNING":2,...},...}}}. */
    String counts();

    /**
     * Newest first, one compact JSON object per line in a JSON array: id, flow, number, state, step, attempt, what it
     * awaits and why, its last error, when it last changed.
     *
     * @param state        a state (e.g. AWAITING_INPUT, FAILED) or what a migration awaits (HUMAN_ACTION,
     *                     VERIFICATION_CODE, CUSTOMER_ACCEPTANCE), or blank for all
     * @param phoneOrBatch the number's E.164 digits ('+', spaces, dashes, dots, brackets ignored), or a batch id
     *                     (anything with a letter, '_' or ':'), or blank
     * @param limit        at most this many (1 to 1000; 0 or less means 50)
     */
    String list(String state, String flow, String phoneOrBatch, int limit);

    /** The migration's current state and its full timeline (step attempts, commands, operator actions), oldest first. */
    String show(String migrationId);

    /** ResumeMigration, issued as the operator: the result, or the rejection. */
    String resume(String migrationId, String reason);

    /** CancelMigration, issued as the operator: the result, or the rejection. */
    String cancel(String migrationId, String reason);

    /**
     * ResumeMigration for every resumable migration (FAILED, or awaiting HUMAN_ACTION) that matches; a dry run only
     * says which. At most 1000 per call ({@code "more":true} when more match).
     */
    String resumeAll(String state, String flow, String step, boolean dryRun);

    /** CancelMigration for every active migration that matches; a dry run only says which. At most 1000 per call. */
    String cancelAll(String state, String flow, String step, String reason, boolean dryRun);
}
