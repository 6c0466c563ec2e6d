package dev.wabamigrator.provider.meta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Graph API error body (provider-apis.md §2.9), parsed tolerantly.
 *
 * <p>Graph shape: {@code {"error":{"message","type","code","error_subcode","error_user_title",
 * "error_user_msg","error_data":{"messaging_product","details"},"is_transient","fbtrace_id"}}}.
 * Every field may be missing; {@code error_data} may also arrive as a JSON string (older Graph
 * edges do that) or as plain text; numbers may arrive as strings; the code may only be present in
 * the message as {@code "(#130429) Rate limit hit"}.
 *
 * @param code           Graph {@code code}, or null when absent
 * @param subcode        {@code error_subcode}, or null
 * @param type           e.g. {@code OAuthException}, or null
 * @param message        {@code message}, or null
 * @param errorUserTitle {@code error_user_title}, or null
 * @param errorUserMsg   {@code error_user_msg}, or null
 * @param details        {@code error_data.details}, or null
 * @param fbtraceId      {@code fbtrace_id}, or null
 * @param isTransient    {@code is_transient}, or null when absent
 */
public record GraphError(Integer code, Integer subcode, String type, String message, String errorUserTitle,
                         String errorUserMsg, String details, String fbtraceId, Boolean isTransient) {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern CODE_IN_MESSAGE = Pattern.compile("^\\s*\\(#(\\d+)\\)");

    /**
     * Parses a Graph error body.
     *
     * @return the error, or empty when the body is null, blank, not JSON, or holds no recognisable
     *         error object (neither a code nor a message)
     */
    public static Optional<GraphError> parse(String body) {
        if (body == null || body.isBlank()) {
            return Optional.empty();
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(body);
        } catch (Exception e) {
            return Optional.empty();
        }
        if (root == null || !root.isObject()) {
            return Optional.empty();
        }
        JsonNode error = root.get("error");
        if (error == null && root.has("errors") && root.get("errors").isArray() && root.get("errors").size() > 0) {
            error = root.get("errors").get(0); // webhook-style value.errors[]
        }
        if (error == null && (root.has("code") || root.has("error_subcode"))) {
            error = root; // a bare error object
        }
        if (error == null || !error.isObject()) {
            return Optional.empty();
        }
        String message = text(error, "message");
        Integer code = integer(error, "code");
        if (code == null && message != null) {
            Matcher m = CODE_IN_MESSAGE.matcher(message);
            if (m.find()) {
                code = safeInt(m.group(1));
            }
        }
        String title = text(error, "error_user_title");
        if (title == null) {
            title = text(error, "title"); // webhook errors[] use "title"
        }
        GraphError parsed = new GraphError(code, integer(error, "error_subcode"), text(error, "type"), message,
                title, text(error, "error_user_msg"), details(error.get("error_data")),
                text(error, "fbtrace_id"), bool(error, "is_transient"));
        if (parsed.code == null && parsed.subcode == null && parsed.message == null
                && parsed.errorUserMsg == null && parsed.errorUserTitle == null) {
            return Optional.empty();
        }
        return Optional.of(parsed);
    }

    /** {@code "<code>"} or {@code "<code>/<subcode>"}; {@code "UNKNOWN"} when the code is missing. */
    public String codeString() {
        String c = code == null ? "UNKNOWN" : String.valueOf(code);
        return subcode == null ? c : c + "/" + subcode;
    }

    /** True when the code is {@code c} (null-safe). */
    public boolean hasCode(int c) {
        return code != null && code == c;
    }

    /** True when the subcode is {@code s} (null-safe). */
    public boolean hasSubcode(int s) {
        return subcode != null && subcode == s;
    }

    /** All human-readable texts lower-cased and joined, for phrase matching. */
    public String searchableText() {
        StringBuilder sb = new StringBuilder();
        for (String s : new String[] {message, errorUserTitle, errorUserMsg, details}) {
            if (s != null) {
                sb.append(s).append('\n');
            }
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }

    /** The most useful single line for a person: user message, else message, else title. */
    public String bestMessage() {
        if (errorUserMsg != null && !errorUserMsg.isBlank()) {
            return message == null || message.isBlank() || message.equals(errorUserMsg)
                    ? errorUserMsg : message + ": " + errorUserMsg;
        }
        if (message != null && !message.isBlank()) {
            return message;
        }
        return errorUserTitle == null ? "" : errorUserTitle;
    }

    private static String details(JsonNode errorData) {
        if (errorData == null || errorData.isNull()) {
            return null;
        }
        if (errorData.isTextual()) {
            String raw = errorData.asText();
            try {
                JsonNode inner = MAPPER.readTree(raw);
                if (inner != null && inner.isObject()) {
                    return text(inner, "details");
                }
            } catch (Exception ignored) {
                // plain text error_data
            }
            return raw.isBlank() ? null : raw;
        }
        if (errorData.isObject()) {
            return text(errorData, "details");
        }
        return null;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull() || v.isContainerNode()) {
            return null;
        }
        String s = v.asText();
        return s.isEmpty() ? null : s;
    }

    private static Integer integer(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isIntegralNumber() && v.canConvertToInt()) {
            return v.intValue();
        }
        if (v.isTextual()) {
            return safeInt(v.asText().trim());
        }
        return null;
    }

    private static Boolean bool(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isTextual()) {
            String s = v.asText().trim();
            if (s.equalsIgnoreCase("true")) {
                return Boolean.TRUE;
            }
            if (s.equalsIgnoreCase("false")) {
                return Boolean.FALSE;
            }
        }
        if (v.isNumber()) {
            return v.intValue() != 0;
        }
        return null;
    }

    private static Integer safeInt(String s) {
        try {
            return Integer.valueOf(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
