package dev.wabamigrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.SecretBox;
import dev.wabamigrator.support.TestDatabase;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The scheduler claims due migrations ten times a second; on H2 a claim must read the due migrations only, not every
 * migration that ended or waits for a command, which pile up in the table over the months.
 */
class DueMigrationScanTest {
    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
    private static final Pattern DUE_INDEX_SCAN = Pattern.compile("IX_MIGRATION_DUE[^*]*\\*/\\s*/\\* scanCount: (\\d+)");

    @Test
    void a_claim_on_h2_reads_past_none_of_the_migrations_that_are_not_due() throws Exception {
        TestDatabase db = TestDatabase.h2();
        try (HikariDataSource dataSource = db.migratedPool()) {
            insert(db, "ended", 5000, "COMPLETED", "NULL");
            insert(db, "waiting", 500, "AWAITING_INPUT", "NULL");
            insert(db, "due", 3, "RUNNING", "TIMESTAMP WITH TIME ZONE '2026-03-01 09:59:00+00'");
            insert(db, "later", 2, "RUNNING", "TIMESTAMP WITH TIME ZONE '2026-03-01 11:00:00+00'");

            MigrationStore store = new MigrationStore(new Sql(dataSource), new SecretBox("test-key"), new ObjectMapper(),
                    Clock.fixed(NOW, ZoneOffset.UTC));
            assertThat(store.claimDue("me", "t-1", NOW.plusSeconds(30), NOW, 100))
                    .extracting(m -> ((Migration) m).getMigrationId()).containsExactlyInAnyOrder("due-1", "due-2", "due-3");

            // the 3 due ones (now held) and the first one after them, of 5,505 migrations
            assertThat(dueIndexEntriesRead(db, "claim-due-migrations")).isLessThanOrEqualTo(4);
            assertThat(dueIndexEntriesRead(db, "scheduler-backlog")).isLessThanOrEqualTo(4);
        }
    }

    private static void insert(TestDatabase db, String prefix, int count, String state, String nextAttemptAt)
            throws Exception {
        db.execute("INSERT INTO migration (migration_id, flow, country_code, national_number, phone_e164, state, step, "
                + "attempt, params, result, next_attempt_at, version, created_at, updated_at) "
                + "SELECT '" + prefix + "-' || X, 'ALIBABA_CHATAPP', '86', '" + prefix.length() + "' || X, '86"
                + prefix.length() + "' || X, '" + state + "', 'initiate', 0, '{}', '{}', " + nextAttemptAt
                + ", 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM SYSTEM_RANGE(1, " + count + ")");
    }

    /** Entries of the due index that H2 read to run the statement, from its EXPLAIN ANALYZE. */
    private static int dueIndexEntriesRead(TestDatabase db, String statement) throws Exception {
        String text;
        try (InputStream in = Sql.class.getClassLoader().getResourceAsStream("sql/" + statement + ".sql")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // H2's plan of a FINAL TABLE shows the data change inside it only when that is explained on its own
        int delta = text.indexOf("FINAL TABLE (");
        if (delta >= 0) {
            text = text.substring(delta + "FINAL TABLE (".length(), text.lastIndexOf(')'));
        }
        String bound = text.replaceAll(":now\\b", "TIMESTAMP WITH TIME ZONE '2026-03-01 10:00:00+00'")
                .replaceAll(":until\\b", "TIMESTAMP WITH TIME ZONE '2026-03-01 10:00:30+00'")
                .replaceAll(":limit\\b", "100").replaceAll(":owner\\b", "'me'").replaceAll(":token\\b", "'t-0'");
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet plan = s.executeQuery("EXPLAIN ANALYZE " + bound)) {
            plan.next();
            Matcher scan = DUE_INDEX_SCAN.matcher(plan.getString(1));
            assertThat(scan.find()).as("the due index is used: %s", plan.getString(1)).isTrue();
            return Integer.parseInt(scan.group(1));
        }
    }
}
