package dev.wabamigrator.sandbox;

import dev.wabamigrator.provider.alibaba.CamsOperation;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/** The cams sandbox's answers: the real body shape {@code {"RequestId","Code","Message"[,"Data"]}} and headers. */
final class CamsReplies {

    static final String JSON_TYPE = "application/json;charset=utf-8";

    private CamsReplies() {
    }

    static String newRequestId() {
        return UUID.randomUUID().toString().toUpperCase(Locale.ROOT);
    }

    static SandboxReply ok(String requestId, Map<String, Object> data) {
        Map<String, Object> body = okBody(requestId);
        if (data != null) {
            body.put("Data", data);
        }
        return reply(200, requestId, body);
    }

    static Map<String, Object> okBody(String requestId) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("RequestId", requestId);
        body.put("Code", "OK");
        body.put("Message", "SUCCESS");
        return body;
    }

    static SandboxReply error(String requestId, int status, String code, String message) {
        return reply(status, requestId, errorBody(requestId, code, message));
    }

    static Map<String, Object> errorBody(String requestId, String code, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("RequestId", requestId);
        body.put("Code", code);
        body.put("Message", message);
        return body;
    }

    static SandboxReply reply(int status, String requestId, Map<String, Object> body) {
        return new SandboxReply(status, JSON_TYPE, SandboxHttp.write(body), Map.of("x-acs-request-id", requestId));
    }

    /** {@code System.LimitControl} with {@code x-acs-retry-after}. */
    static SandboxReply throttled(String requestId, long retryAfterMs, String message) {
        return new SandboxReply(400, JSON_TYPE, SandboxHttp.write(errorBody(requestId, "System.LimitControl", message)),
                Map.of("x-acs-request-id", requestId, "x-acs-retry-after", String.valueOf(retryAfterMs)));
    }

    /** Pattern 0003: {@code Ram.PermissionDeny} with {@code AccessDeniedDetail}, a JSON string. */
    static SandboxReply permissionDenied(String requestId, CamsOperation op) {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("AuthAction", op.ramAction());
        detail.put("AuthPrincipalType", "SubUser");
        detail.put("AuthPrincipalDisplayName", "sandbox-ram-user");
        detail.put("NoPermissionType", "ImplicitDeny");
        detail.put("PolicyType", "AccountLevelIdentityBasedPolicy");
        Map<String, Object> body = errorBody(requestId, "Ram.PermissionDeny",
                "You are not authorized to do this operation. Action: " + op.ramAction() + ".");
        body.put("AccessDeniedDetail", SandboxHttp.write(detail));
        return reply(400, requestId, body);
    }

    /** A body for the controls (no request id). */
    static SandboxReply control(int status, Map<String, ?> body) {
        return new SandboxReply(status, JSON_TYPE, SandboxHttp.write(body), Map.of());
    }
}
