package dev.wabamigrator.engine;

/**
 * The results a preflight reports, whatever the provider: each precondition of a migration as a named check. Only
 * {@link Status#FAILED} stops a migration; {@link Status#UNKNOWN} (it could not be read) is for a person to confirm and
 * is never taken as passed.
 */
public final class Preflight {

    /** A check's result. */
    public enum Status { PASSED, FAILED, UNKNOWN }

    /** One check: its name, result, what was read, and what a person does about it (null when nothing). */
    public record Check(String name, Status status, String detail, String action) {
    }

    private Preflight() {
    }
}
