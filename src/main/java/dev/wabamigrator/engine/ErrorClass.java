package dev.wabamigrator.engine;

/** How the orchestrator reacts to a failed provider call (provider-apis.md, "Error classes"). */
public enum ErrorClass {
    /** Temporary server-side or network failure: redeliver with backoff, then park and retry later. */
    TRANSIENT,
    /** Quota or throttle hit: wait the provider-given interval, then retry; never hot-loop. */
    RATE_LIMITED,
    /** A person must act (2FA, PIN, approvals, permissions): park and say what is needed. */
    NEEDS_HUMAN,
    /** The request can never succeed as specified: fail the migration. */
    PERMANENT;

    public boolean retryable() {
        return this == TRANSIENT || this == RATE_LIMITED;
    }
}
