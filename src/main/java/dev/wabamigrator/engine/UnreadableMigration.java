package dev.wabamigrator.engine;

/**
 * A migration row that cannot be turned into a {@link Migration}: its secrets cannot be decrypted (the key
 * changed), its params or result are not JSON objects, or its state, awaiting or flow is not a value this
 * version knows. Carries what is readable of the row, so the row can still be set aside for a person and
 * announced. The problem text never contains a secret.
 */
public final class UnreadableMigration extends RuntimeException {
    public static final String CODE = "UNREADABLE_STATE";

    private final String migrationId;
    private final String flow;
    private final String countryCode;
    private final String nationalNumber;
    private final String phoneE164;
    private final String batchId;
    private final String step;
    private final int attempt;
    private final long version;
    private final String problem;

    public UnreadableMigration(String migrationId, String flow, String countryCode, String nationalNumber, String phoneE164,
                        String batchId, String step, int attempt, long version, String problem) {
        super("migration " + migrationId + " cannot be read: " + problem, null, false, false);
        this.migrationId = migrationId;
        this.flow = flow;
        this.countryCode = countryCode;
        this.nationalNumber = nationalNumber;
        this.phoneE164 = phoneE164;
        this.batchId = batchId;
        this.step = step;
        this.attempt = attempt;
        this.version = version;
        this.problem = problem;
    }

    /** A row that was read but names a flow this instance does not run. */
    static UnreadableMigration unknownFlow(Migration m) {
        return new UnreadableMigration(m.getMigrationId(), m.getFlow(), m.getCountryCode(), m.getNationalNumber(),
                m.getPhoneE164(), m.getBatchId(), m.getStep(), m.getAttempt(), m.getVersion(),
                "flow '" + m.getFlow() + "' is not available on this instance");
    }

    public String migrationId() {
        return migrationId;
    }

    public String flow() {
        return flow;
    }

    public String countryCode() {
        return countryCode;
    }

    public String nationalNumber() {
        return nationalNumber;
    }

    public String phoneE164() {
        return phoneE164;
    }

    /** The batch the migration was started in, or null. */
    public String batchId() {
        return batchId;
    }

    public String step() {
        return step;
    }

    public int attempt() {
        return attempt;
    }

    /** The row version when it was read: the set-aside write is guarded by it. */
    public long version() {
        return version;
    }

    /** What cannot be read, e.g. "secrets cannot be decrypted". */
    public String problem() {
        return problem;
    }
}
