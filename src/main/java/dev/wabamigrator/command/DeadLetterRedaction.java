package dev.wabamigrator.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.camel.Exchange;

/**
 * Takes the secrets out of a record before it goes to the dead-letter topic: a StartMigration's {@code meta.pin},
 * a SubmitVerificationCode's {@code code}, and any other property named like a secret, at any depth. The record
 * is otherwise kept as it came (untouched bytes when there was nothing to remove); header
 * {@value #HEADER} lists what was removed, so the reader knows the copy is not the original.
 */
public final class DeadLetterRedaction {
    public static final String HEADER = "waba-dlq-redacted";
    private static final Set<String> SECRET_NAMES = Set.of("pin", "code", "verifycode", "verificationcode", "token",
            "accesstoken", "access_token", "secret", "password");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Replaces the exchange's body (the record's bytes) by its redacted copy and says what was removed. */
    public void redact(Exchange exchange) {
        byte[] value = exchange.getMessage().getBody(byte[].class);
        if (value == null || value.length == 0) {
            return;
        }
        List<String> removed = new ArrayList<>();
        byte[] redacted = redactJson(value, removed);
        if (redacted == null) {
            redacted = redactText(value, removed);
        }
        if (!removed.isEmpty()) {
            exchange.getMessage().setBody(redacted);
            exchange.getMessage().setHeader(HEADER, String.join(",", removed));
        }
    }

    /** The JSON without its secret properties, or null when the bytes are not JSON. */
    private static byte[] redactJson(byte[] value, List<String> removed) {
        JsonNode root;
        try {
            root = JSON.readTree(value);
        } catch (IOException e) {
            return null;
        }
        if (root == null) {
            return null;
        }
        remove(root, "", removed);
        try {
            return removed.isEmpty() ? value : JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON back", e);
        }
    }

    private static void remove(JsonNode node, String path, List<String> removed) {
        if (node instanceof ObjectNode object) {
            for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                String at = path.isEmpty() ? name : path + "." + name;
                if (SECRET_NAMES.contains(name.toLowerCase(Locale.ROOT))) {
                    names.remove();
                    removed.add(at);
                } else {
                    remove(object.get(name), at, removed);
                }
            }
        } else if (node != null && node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                remove(node.get(i), path + "[" + i + "]", removed);
            }
        }
    }

    /** Text that is not JSON (say, cut short) may still hold {@code "pin":"123456"}: mask such values. */
    private static byte[] redactText(byte[] value, List<String> removed) {
        String text = new String(value, StandardCharsets.UTF_8);
        String scrubbed = SecretText.scrub(text);
        if (scrubbed.equals(text)) {
            return value;
        }
        removed.add("text");
        return scrubbed.getBytes(StandardCharsets.UTF_8);
    }
}
