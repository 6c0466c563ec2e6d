package dev.wabamigrator.webhook;

/**
 * A webhook would wake a migration whose step is running right now (claimed): that run may already have read the
 * intent before the customer accepted, and would park the migration for the whole poll interval. The change is not
 * recorded; the webhook is applied again once the claim is released (webhook-errors redelivers, then the record is
 * polled again).
 */
public final class WakeDeferred extends RuntimeException {
    public WakeDeferred(String migrationId) {
        super("migration " + migrationId + " is running; its wake waits for the run to end");
    }
}
