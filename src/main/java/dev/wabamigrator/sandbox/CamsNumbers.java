package dev.wabamigrator.sandbox;

import static dev.wabamigrator.sandbox.AlibabaSandbox.NOT_VERIFIED;
import static dev.wabamigrator.sandbox.AlibabaSandbox.PATTERN_ALREADY_VERIFIED;
import static dev.wabamigrator.sandbox.AlibabaSandbox.PATTERN_DONE_THEN_503;
import static dev.wabamigrator.sandbox.AlibabaSandbox.PATTERN_DONE_THEN_HTML;
import static dev.wabamigrator.sandbox.AlibabaSandbox.PATTERN_MALFORMED_ONCE;
import static dev.wabamigrator.sandbox.AlibabaSandbox.PATTERN_PERMISSION_DENIED;
import static dev.wabamigrator.sandbox.AlibabaSandbox.PATTERN_REGISTER_PENDING;
import static dev.wabamigrator.sandbox.AlibabaSandbox.PATTERN_REGISTER_UNAVAILABLE_TWICE;
import static dev.wabamigrator.sandbox.AlibabaSandbox.PATTERN_THROTTLED_ONCE;
import static dev.wabamigrator.sandbox.AlibabaSandbox.PATTERN_UNSUBSCRIBED;
import static dev.wabamigrator.sandbox.AlibabaSandbox.PATTERN_WRONG_OWNER;
import static dev.wabamigrator.sandbox.AlibabaSandbox.PENDING_LISTINGS;
import static dev.wabamigrator.sandbox.AlibabaSandbox.SCRIPTED_RETRY_AFTER_MS;
import static dev.wabamigrator.sandbox.AlibabaSandbox.STATUS_MIGRATING;
import static dev.wabamigrator.sandbox.AlibabaSandbox.VERIFIED;
import static dev.wabamigrator.sandbox.CamsParameters.last4;
import static dev.wabamigrator.sandbox.CamsReplies.error;
import static dev.wabamigrator.sandbox.CamsReplies.ok;

import dev.wabamigrator.provider.alibaba.CamsOperation;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The five migration operations on the state of each number ({@code PhoneNumber} = CountryCode + MobileNumber):
 * initiate, verification status, code request, verify, register, and the number listing; with the scripted outcomes
 * of the last four digits. "First" and "once" count per number and operation.
 */
final class CamsNumbers {

    static final class NumberState {
        final String phoneNumber;
        final String id;
        final String custSpaceId;
        boolean verified;
        boolean registered;
        String code;
        String codeMethod;
        String codeLocale;
        /** Listings still to show a fresh register as PENDING (pattern 0012). */
        int pendingListings;

        NumberState(String phoneNumber, String id, String custSpaceId, boolean verified) {
            this.phoneNumber = phoneNumber;
            this.id = id;
            this.custSpaceId = custSpaceId;
            this.verified = verified;
        }

        /** The {@code Status} the number listing shows; a PENDING listing counts down (pattern 0012). */
        synchronized String listedStatus() {
            if (!registered) {
                return STATUS_MIGRATING;
            }
            if (pendingListings > 0) {
                pendingListings--;
                return "PENDING";
            }
            return "CONNECTED";
        }

        synchronized Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("phoneNumber", phoneNumber);
            json.put("id", id);
            json.put("custSpaceId", custSpaceId);
            json.put("status", STATUS_MIGRATING);
            json.put("codeVerificationStatus", verified ? VERIFIED : NOT_VERIFIED);
            json.put("codeRequested", code != null);
            json.put("registered", registered);
            return json;
        }
    }

    private final Map<String, NumberState> numbers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(100_000_000_001L);
    private final Random random;
    private final CamsStats stats;

    CamsNumbers(Random random, CamsStats stats) {
        this.random = random;
        this.stats = stats;
    }

    NumberState get(String phoneNumber) {
        return numbers.get(phoneNumber);
    }

    int size() {
        return numbers.size();
    }

    void clear() {
        numbers.clear();
        attempts.clear();
    }

    SandboxReply execute(String requestId, CamsOperation op, Map<String, String> params, String phone) {
        String pattern = last4(phone);
        int attempt = attempts.computeIfAbsent(op.action() + "|" + phone, k -> new AtomicInteger()).incrementAndGet();
        if (PATTERN_UNSUBSCRIBED.equals(pattern)) {
            return error(requestId, 400, "Product.Unsubscript", "You have not activated the Chat App Message Service.");
        }
        if (PATTERN_THROTTLED_ONCE.equals(pattern) && attempt == 1) {
            stats.throttled(op.action());
            return CamsReplies.throttled(requestId, SCRIPTED_RETRY_AFTER_MS,
                    "Request was denied due to flow control (sandbox pattern " + PATTERN_THROTTLED_ONCE + ").");
        }
        if (op == CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE) {
            if (PATTERN_PERMISSION_DENIED.equals(pattern)) {
                return CamsReplies.permissionDenied(requestId, op);
            }
            if (PATTERN_WRONG_OWNER.equals(pattern)) {
                return wrongOwner(requestId);
            }
        }
        if (op == CamsOperation.CHATAPP_MIGRATION_REGISTER && PATTERN_REGISTER_UNAVAILABLE_TWICE.equals(pattern)
                && attempt <= 2) {
            return error(requestId, 503, "InternalError", "The request processing has failed due to some unknown error.");
        }
        String custSpaceId = params.get(CamsOperation.CUST_SPACE_ID);
        if (op == CamsOperation.QUERY_CHATAPP_PHONE_NUMBERS) {
            return list(requestId, custSpaceId);
        }
        if (op == CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE) {
            NumberState state = numbers.computeIfAbsent(phone, p -> new NumberState(p,
                    String.valueOf(nextId.getAndIncrement()), custSpaceId, PATTERN_ALREADY_VERIFIED.equals(pattern)));
            if (!state.custSpaceId.equals(custSpaceId)) {
                return wrongOwner(requestId);
            }
            if (PATTERN_MALFORMED_ONCE.equals(pattern) && attempt == 1) {
                return new SandboxReply(200, CamsReplies.JSON_TYPE,
                        "{\"RequestId\":\"" + requestId + "\",\"Code\":\"OK\",\"Message\":\"SUCC",
                        Map.of("x-acs-request-id", requestId));
            }
            return ok(requestId, data(state, "Status", STATUS_MIGRATING));
        }
        NumberState state = numbers.get(phone);
        if (state == null) {
            return error(requestId, 400, "Migration.NotInitiated",
                    "No migration was initiated for " + phone + ": call CreateChatappMigrationInitiate first.");
        }
        if (!state.custSpaceId.equals(custSpaceId)) {
            return wrongOwner(requestId);
        }
        synchronized (state) {
            return step(requestId, op, params, state, pattern);
        }
    }

    private SandboxReply step(String requestId, CamsOperation op, Map<String, String> params, NumberState state,
                              String pattern) {
        String phone = state.phoneNumber;
        switch (op) {
            case GET_PHONE_NUMBER_VERIFICATION_STATUS:
                return ok(requestId, data(state, "CodeVerificationStatus", state.verified ? VERIFIED : NOT_VERIFIED));
            case GET_MIGRATION_VERIFY_CODE:
                state.code = String.format(Locale.ROOT, "%06d", nextCode());
                state.codeMethod = params.get(CamsOperation.METHOD);
                state.codeLocale = params.get(CamsOperation.LOCALE);
                return ok(requestId, data(state, null, null));
            case CHATAPP_MIGRATION_VERIFIED:
                if (state.code == null) {
                    return error(requestId, 400, "Migration.VerifyCodeNotRequested",
                            "No verification code was requested for " + phone + ": call GetMigrationVerifyCode first.");
                }
                if (!MessageDigest.isEqual(state.code.getBytes(StandardCharsets.UTF_8),
                        params.get(CamsOperation.VERIFY_CODE).trim().getBytes(StandardCharsets.UTF_8))) {
                    return error(requestId, 400, "InvalidVerifyCode", "The verification code is incorrect.");
                }
                state.verified = true;
                return ok(requestId, data(state, null, null));
            case CHATAPP_MIGRATION_REGISTER:
                if (!state.verified) {
                    return error(requestId, 400, "Migration.NotVerified",
                            "The number " + phone + " is not verified: call ChatappMigrationVerified first.");
                }
                state.registered = true;
                if (PATTERN_REGISTER_PENDING.equals(pattern)) {
                    state.pendingListings = PENDING_LISTINGS;
                }
                return ok(requestId, null);
            default:
                throw new IllegalStateException("unhandled operation " + op);
        }
    }

    /** {@code QueryChatappPhoneNumbers}: the space's numbers in one answer (the real API documents no paging). */
    private SandboxReply list(String requestId, String custSpaceId) {
        List<Map<String, Object>> listed = new ArrayList<>();
        numbers.values().stream().filter(n -> n.custSpaceId.equals(custSpaceId)).forEach(n -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("PhoneNumber", n.phoneNumber);
            entry.put("Status", n.listedStatus());
            entry.put("CodeVerificationStatus", n.verified ? VERIFIED : NOT_VERIFIED);
            listed.add(entry);
        });
        Map<String, Object> body = CamsReplies.okBody(requestId);
        body.put("PhoneNumbers", listed);
        return CamsReplies.reply(200, requestId, body);
    }

    /**
     * Patterns 0010, 0011 and 0012: the call took effect (its reply was OK) but the client gets an answer that does
     * not say so, as when a gateway times out on the backend or a proxy answers with its own page.
     */
    SandboxReply doneThenFailed(String requestId, CamsOperation op, String phone, SandboxReply reply) {
        String pattern = last4(phone);
        boolean firstTime = attempts.getOrDefault(op.action() + "|" + phone, new AtomicInteger()).get() == 1;
        if (reply.status() != 200 || op.safeToRepeat() || !firstTime) {
            return reply;
        }
        if (PATTERN_DONE_THEN_503.equals(pattern)
                || PATTERN_REGISTER_PENDING.equals(pattern) && op == CamsOperation.CHATAPP_MIGRATION_REGISTER) {
            return error(requestId, 503, "ServiceUnavailable", "The request has failed due to a temporary failure "
                    + "of the server.");
        }
        if (PATTERN_DONE_THEN_HTML.equals(pattern)) {
            return new SandboxReply(200, CamsReplies.JSON_TYPE, "<html><head><title>502 Bad Gateway</title></head>"
                    + "<body><h1>502 Bad Gateway</h1></body></html>", Map.of("Content-Type", "text/html"));
        }
        return reply;
    }

    private int nextCode() {
        synchronized (random) {
            return random.nextInt(1_000_000);
        }
    }

    private static SandboxReply wrongOwner(String requestId) {
        return error(requestId, 400, "Unknown.ResourceOwnerId", "The resource does not belong to the current user.");
    }

    private static Map<String, Object> data(NumberState state, String extraName, String extraValue) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("PhoneNumber", state.phoneNumber);
        data.put("Id", state.id);
        if (extraName != null) {
            data.put(extraName, extraValue);
        }
        return data;
    }
}
