package dev.wabamigrator.importer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchWatchTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode progress(String id, String time, int running, int completed) throws Exception {
        return JSON.readTree("""
                {"id":"%s","source":"/waba-migrator","type":"waba.migration.batch.progress","subject":"b","time":"%s",
                 "data":{"batchId":"b","total":%d,"states":{"RUNNING":%d,"AWAITING_INPUT":0,"COMPLETED":%d,"FAILED":0,
                 "CANCELLED":0},"awaiting":{"VERIFICATION_CODE":0,"CUSTOMER_ACCEPTANCE":0,"HUMAN_ACTION":0},
                 "migrationsPerSecond":1.0,"etaSeconds":null,"settled":%b,"finished":%b}}"""
                .formatted(id, time, running + completed, running, completed, running == 0, running == 0));
    }

    private static JsonNode migration(String id, String migrationId, String type, String state) throws Exception {
        return JSON.readTree("""
                {"id":"%s","source":"/waba-migrator","type":"%s","subject":"%s","time":"2026-01-01T00:00:00Z",
                 "data":{"migrationId":"%s","batchId":"b","state":"%s","phoneNumber":{"e164":"861"}}}"""
                .formatted(id, type, migrationId, migrationId, state));
    }

    @Test
    void should_keep_the_latest_report_by_time_when_an_older_one_is_delivered_again() throws Exception {
        BatchWatch watch = new BatchWatch("b", List.of("import-b-861"), List.of("b-861"));
        watch.accept(progress("p1", "2026-01-01T00:00:01Z", 1, 0));
        watch.accept(progress("p2", "2026-01-01T00:00:06Z", 0, 1));
        watch.accept(progress("p1", "2026-01-01T00:00:01Z", 1, 0)); // at-least-once: p1 again, after p2

        assertThat(watch.states().get("COMPLETED")).isEqualTo(1);
        assertThat(watch.progress().path("settled").asBoolean()).isTrue();
    }

    @Test
    void should_not_call_the_batch_over_on_a_settled_report_while_a_row_of_the_file_is_unanswered_or_running()
            throws Exception {
        BatchWatch watch = new BatchWatch("b", List.of("import-b-861", "import-b-862"), List.of("b-861", "b-862"));
        watch.accept(migration("e1", "b-861", "waba.migration.completed", "COMPLETED"));
        watch.accept(progress("p1", "2026-01-01T00:00:01Z", 0, 1)); // settled, before the service took in b-862
        assertThat(watch.settled()).isFalse();

        watch.accept(migration("e2", "b-862", "waba.migration.accepted", "RUNNING"));
        assertThat(watch.settled()).isFalse();

        watch.accept(migration("e2", "b-862", "waba.migration.accepted", "RUNNING"));
        watch.accept(migration("e3", "b-862", "waba.migration.completed", "COMPLETED"));
        watch.accept(migration("e2", "b-862", "waba.migration.accepted", "RUNNING")); // a late copy changes nothing
        assertThat(watch.ownMigrationsSettled()).isTrue();
        assertThat(watch.settled()).as("the last report counts one migration of two").isFalse();

        watch.accept(progress("p2", "2026-01-01T00:00:06Z", 0, 2));
        assertThat(watch.settled()).isTrue();
        assertThat(watch.states().get("COMPLETED")).isEqualTo(2);
    }
}
