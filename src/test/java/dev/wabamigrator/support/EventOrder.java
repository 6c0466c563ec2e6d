package dev.wabamigrator.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.event.MessageSchemas;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** What a downstream consumer relies on after kills and hand-overs: every event there, in order, repeats exact. */
public final class EventOrder {
    private EventOrder() {
    }

    /**
     * Every event matches its schema; each migration has exactly the {@code expected} events ({@code type/step}),
     * first deliveries in that order; a repeated delivery is only ever the same event again (a re-publication).
     *
     * @return how many deliveries were repeats
     */
    public static int assertInOrderRepeatsExact(List<JsonNode> all, Collection<String> migrationIds,
                                                List<String> expected) {
        MessageSchemas schemas = MessageSchemas.shared();
        assertThat(all).allSatisfy(e -> assertThat(schemas.validateEvent(e)).as(e.toString()).isEmpty());
        Map<String, List<JsonNode>> byMigration = all.stream().collect(Collectors.groupingBy(
                e -> e.path("data").path("migrationId").asText(), LinkedHashMap::new, Collectors.toList()));
        assertThat(byMigration.keySet()).containsExactlyInAnyOrderElementsOf(migrationIds);
        int repeats = 0;
        for (String id : migrationIds) {
            Map<String, List<JsonNode>> byKey = byMigration.get(id).stream().collect(Collectors.groupingBy(
                    e -> e.path("type").asText() + "/" + e.path("data").path("step").asText(), LinkedHashMap::new,
                    Collectors.toList()));
            assertThat(new ArrayList<>(byKey.keySet())).as("events of %s, first deliveries in order", id)
                    .containsExactlyElementsOf(expected);
            for (var group : byKey.entrySet()) {
                assertThat(group.getValue()).as("every delivery of %s %s is the same event", id, group.getKey())
                        .allSatisfy(e -> assertThat(e).isEqualTo(group.getValue().get(0)));
                repeats += group.getValue().size() - 1;
            }
        }
        return repeats;
    }
}
