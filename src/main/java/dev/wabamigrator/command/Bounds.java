package dev.wabamigrator.command;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * How long what a record carries may be, so that nothing a producer sends can overflow a column (see
 * {@code db/migration/V1__migration_engine.sql}) and stop intake. The JSON Schemas carry the same bounds.
 */
final class Bounds {
    /** {@code processed_command.command_id}. */
    static final int COMMAND_ID = 100;
    /** {@code outbox_event.kafka_key}: rejected events reuse the record key. */
    static final int RECORD_KEY = 100;
    /** {@code processed_command.command_type}. */
    static final int COMMAND_TYPE = 40;
    /** {@code migration.migration_id}, {@code processed_command.migration_id}. */
    static final int MIGRATION_ID = 64;
    /** A value quoted back in a rejection. */
    static final int ECHO = 100;
    /** A rejection's message. */
    static final int MESSAGE = 1000;
    private static final int VIOLATIONS = 20;
    private static final int VIOLATION = 300;

    private Bounds() {
    }

    /** Present, at most {@code max} characters, and no control characters (PostgreSQL cannot store U+0000). */
    static boolean isPlainText(String value, int max) {
        return value != null && value.length() <= max && !hasControlCharacter(value);
    }

    static boolean hasControlCharacter(String value) {
        return value.chars().anyMatch(Character::isISOControl);
    }

    /** A received value as a rejection may quote it: cut to {@value #ECHO} characters. */
    static String echo(String value) {
        return echo(value, ECHO);
    }

    static String echo(String value, int max) {
        if (value == null || value.length() <= max) {
            return value;
        }
        int end = Character.isHighSurrogate(value.charAt(max - 1)) ? max - 1 : max;
        return value.substring(0, end) + "... (" + value.length() + " characters)";
    }

    /** At most {@value #VIOLATIONS} violations of at most {@value #VIOLATION} characters each. */
    static List<String> violations(List<String> all) {
        List<String> kept = new ArrayList<>();
        for (String violation : all.subList(0, Math.min(all.size(), VIOLATIONS))) {
            kept.add(echo(violation, VIOLATION));
        }
        if (all.size() > VIOLATIONS) {
            kept.add("... and " + (all.size() - VIOLATIONS) + " more");
        }
        return kept;
    }

    /** Text the database cannot store (U+0000), in any value or property name, as schema-style violations. */
    static List<String> unstorableText(JsonNode command) {
        List<String> found = new ArrayList<>();
        walk(command, "$", found);
        return found;
    }

    private static void walk(JsonNode node, String path, List<String> found) {
        if (node.isTextual() && node.asText().indexOf('\u0000') >= 0) {
            found.add(path + ": contains U+0000, which cannot be stored");
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (field.getKey().indexOf('\u0000') >= 0) {
                    found.add(path + ": a property name contains U+0000, which cannot be stored");
                } else {
                    walk(field.getValue(), path + "." + field.getKey(), found);
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), path + "[" + i + "]", found);
            }
        }
    }
}
