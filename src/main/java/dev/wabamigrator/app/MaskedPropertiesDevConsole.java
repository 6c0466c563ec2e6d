package dev.wabamigrator.app;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.camel.impl.console.PropertiesDevConsole;
import org.apache.camel.util.SensitiveUtils;
import org.apache.camel.util.json.JsonObject;

/**
 * Camel's {@code properties} console with the values of secret properties masked. The CLI connector writes this
 * console into its status file every second, and Camel's own console masks only its text form, and only keys it
 * knows ({@code password}, not {@code app.secrets.key} or {@code system-user-token}).
 */
final class MaskedPropertiesDevConsole extends PropertiesDevConsole {
    static final String MASK = "xxxxxx";
    /** Our secret settings: SECRETS_KEY and its previous keys, passwords, the Meta token and app secret, cams's secret. */
    private static final Pattern SECRET_KEY = Pattern.compile(".*(password|secret|token|key).*");

    static boolean isSecret(String key) {
        return SensitiveUtils.containsSensitive(key) || SECRET_KEY.matcher(key.toLowerCase(Locale.ROOT)).matches();
    }

    @Override
    protected JsonObject doCallJson(Map<String, Object> options) {
        JsonObject root = super.doCallJson(options);
        if (root.get("properties") instanceof Iterable<?> properties) {
            for (Object property : properties) {
                if (property instanceof JsonObject p && isSecret(String.valueOf(p.get("key")))) {
                    p.put("value", MASK);
                    // an override or a default is the secret itself; a placeholder such as {{env:…}} says where it is
                    for (String field : new String[] {"originalValue", "defaultValue"}) {
                        if (p.containsKey(field) && !String.valueOf(p.get(field)).startsWith("{{")) {
                            p.put(field, MASK);
                        }
                    }
                }
            }
        }
        return root;
    }

    @Override
    protected String doCallText(Map<String, Object> options) {
        StringBuilder text = new StringBuilder("Properties:\n");
        if (doCallJson(options).get("properties") instanceof Iterable<?> properties) {
            for (Object property : properties) {
                if (property instanceof JsonObject p) {
                    text.append(String.format("    %s = %s%n", p.get("key"), p.get("value")));
                }
            }
        }
        return text.toString();
    }
}
