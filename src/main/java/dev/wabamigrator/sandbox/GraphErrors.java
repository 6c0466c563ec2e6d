package dev.wabamigrator.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/** Graph answers: JSON bodies and the real-looking error bodies (with {@code fbtrace_id}) the Graph sandbox gives. */
final class GraphErrors {

    static final String JSON_TYPE = "application/json; charset=UTF-8";
    private static final String HTML_503 = "<html><body><h1>503 Service Unavailable</h1>"
            + "No server is available to handle this request.</body></html>";

    private GraphErrors() {
    }

    static ObjectNode obj() {
        return SandboxHttp.JSON.createObjectNode();
    }

    static SandboxReply json(int status, JsonNode body) {
        return new SandboxReply(status, JSON_TYPE, body.toString(), Map.of());
    }

    static String traceId() {
        return "A" + MetaState.random(22);
    }

    static SandboxReply error(int http, int code, Integer subcode, String type, String message, String userTitle,
                              String userMsg, String details, Boolean isTransient) {
        ObjectNode root = obj();
        ObjectNode e = root.putObject("error");
        e.put("message", message);
        e.put("type", type);
        e.put("code", code);
        if (subcode != null) {
            e.put("error_subcode", subcode);
        }
        if (isTransient != null) {
            e.put("is_transient", isTransient);
        }
        if (userTitle != null) {
            e.put("error_user_title", userTitle);
        }
        if (userMsg != null) {
            e.put("error_user_msg", userMsg);
        }
        if (details != null) {
            e.putObject("error_data").put("messaging_product", "whatsapp").put("details", details);
        }
        e.put("fbtrace_id", traceId());
        Map<String, String> headers = code == 190 || code == 104
                ? Map.of("WWW-Authenticate", "OAuth \"Facebook Platform\" \"invalid_token\" \"" + message + "\"")
                : Map.of();
        return new SandboxReply(http, JSON_TYPE, root.toString(), headers);
    }

    static SandboxReply invalidParameter(String message, String details) {
        return error(400, 100, null, "OAuthException", message.startsWith("(#") ? message : "(#100) " + message,
                null, null, "sandbox: " + details, null);
    }

    static SandboxReply noSuchObject(String id) {
        return error(400, 100, 33, "GraphMethodException", "Unsupported post request. Object with ID '" + id
                + "' does not exist, cannot be loaded due to missing permissions, or does not support this operation. "
                + "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
                null, null, null, null);
    }

    static SandboxReply unknownPath(String path) {
        return error(400, 2500, null, "OAuthException", "Unknown path components: " + path, null, null, null, null);
    }

    static SandboxReply sessionExpired() {
        return error(401, 190, 463, "OAuthException",
                "Error validating access token: Session has expired on Tuesday, 01-Jan-30 00:00:00 PST. The current time is later.",
                null, null, null, null);
    }

    static SandboxReply alreadyInDestination() {
        return error(400, 100, 2388012, "OAuthException", "(#100) Invalid parameter", "Phone number already exists",
                "This phone number is already registered to your WhatsApp Business Account.", null, null);
    }

    static SandboxReply budgetExhausted() {
        return error(400, 133016, null, "OAuthException",
                "(#133016) Account register deregister rate limit exceeded", "Rate limit exceeded",
                "Registration or deregistration failed because there were too many attempts for this phone number in a short period of time.",
                "Too many register/deregister attempts. Try again in 72 hours.", null);
    }

    static SandboxReply serviceUnavailable() {
        return error(500, 2, null, "OAuthException", "(#2) Service temporarily unavailable", null, null, null, true);
    }

    static SandboxReply html503() {
        return new SandboxReply(503, "text/html; charset=utf-8", HTML_503, Map.of());
    }

    /** Pattern 1005: 80007 with {@code X-Business-Use-Case-Usage} saying when access comes back. */
    static SandboxReply rateLimited(String objectId, int regainMinutes) {
        String buc = "{\"" + objectId + "\":[{\"type\":\"whatsapp_business_management\",\"call_count\":100,"
                + "\"total_cputime\":20,\"total_time\":35,\"estimated_time_to_regain_access\":" + regainMinutes + "}]}";
        SandboxReply r = error(400, 80007, null, "OAuthException", "(#80007) Rate limit issues",
                "Rate limit hit", "There have been too many calls to this WhatsApp Business account. Wait a bit and try again.",
                "Rate limit hit for WhatsApp Business Account " + objectId, null);
        return new SandboxReply(r.status(), r.contentType(), r.body(), Map.of("X-Business-Use-Case-Usage", buc));
    }

    /** The answer of a scripted {@link MetaSandbox.Fault}. */
    static SandboxReply fault(MetaSandbox.Fault fault) {
        return switch (fault) {
            case ERROR_1 -> error(500, 1, null, "OAuthException", "An unknown error has occurred.", null, null, null,
                    null);
            case ERROR_2 -> serviceUnavailable();
            case ERROR_131000 -> error(500, 131000, null, "OAuthException", "(#131000) Something went wrong",
                    "Something went wrong", "Something went wrong. Please try again later.", "Something went wrong",
                    null);
            case HTML_503 -> html503();
            case GARBLED_200 -> new SandboxReply(200, JSON_TYPE, "{\"success\":tr", Map.of());
        };
    }
}
