package dev.wabamigrator.sandbox;

import static dev.wabamigrator.sandbox.GraphErrors.error;
import static dev.wabamigrator.sandbox.GraphErrors.invalidParameter;
import static dev.wabamigrator.sandbox.GraphErrors.json;
import static dev.wabamigrator.sandbox.GraphErrors.obj;

import dev.wabamigrator.sandbox.MetaSandbox.Ops;
import dev.wabamigrator.sandbox.MetaState.Auth;
import dev.wabamigrator.sandbox.MetaState.Phone;
import dev.wabamigrator.sandbox.MetaState.Scenario;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code POST /{phone}/request_code} and {@code POST /{phone}/verify_code} (flow B). The code is revealed by the
 * control endpoint {@code GET /meta-sandbox/codes/{phoneNumberId}}; pattern 1011 refuses the first request.
 */
final class MetaCodes {

    private final MetaState state;

    MetaCodes(MetaState state) {
        this.state = state;
    }

    SandboxReply request(GraphRequest req, String phoneId, Auth auth) {
        Phone p = state.phones.get(phoneId);
        if (p == null || p.source) {
            return GraphErrors.noSuchObject(phoneId);
        }
        state.calls.count(Ops.REQUEST_CODE, p.e164);
        SandboxReply denied = MetaState.needsBusinessToken(state.wabas.get(p.wabaId), auth);
        if (denied != null) {
            return denied;
        }
        Scenario sc = state.scenario(p);
        SandboxReply limited = state.rateLimitedOnce(sc, phoneId);
        if (limited != null) {
            return limited;
        }
        String method = req.param("code_method", "").toUpperCase(Locale.ROOT);
        if (!method.equals("SMS") && !method.equals("VOICE")) {
            return invalidParameter("(#100) Param code_method must be one of {SMS, VOICE}", "code_method must be SMS or VOICE");
        }
        if (req.param("language", "").isBlank()) {
            return invalidParameter("(#100) The parameter language is required", "language is required, e.g. en_US");
        }
        if (sc.pattern() == 1011 && state.firedOnce.add("1011|" + sc.key())) {
            return error(400, 100, 2388091, "OAuthException", "(#100) Invalid parameter", "Too many code requests",
                    "You have requested a code too many times. Please wait 1 hour before trying again.", null, null);
        }
        p.pendingCode = String.format("%06d", ThreadLocalRandom.current().nextInt(1_000_000));
        return json(200, obj().put("success", true));
    }

    SandboxReply verify(GraphRequest req, String phoneId, Auth auth) {
        Phone p = state.phones.get(phoneId);
        if (p == null || p.source) {
            return GraphErrors.noSuchObject(phoneId);
        }
        state.calls.count(Ops.VERIFY_CODE, p.e164);
        SandboxReply denied = MetaState.needsBusinessToken(state.wabas.get(p.wabaId), auth);
        if (denied != null) {
            return denied;
        }
        SandboxReply limited = state.rateLimitedOnce(state.scenario(p), phoneId);
        if (limited != null) {
            return limited;
        }
        String code = req.param("code", "");
        if (!code.matches("\\d{6}")) {
            return invalidParameter("(#100) Invalid parameter", "code must be 6 digits");
        }
        if (p.pendingCode == null || !p.pendingCode.equals(code)) {
            return error(400, 136025, null, "OAuthException", "(#136025) Code couldn't be verified",
                    "Code couldn't be verified", "The verification code is incorrect or was not requested.", null, null);
        }
        p.pendingCode = null;
        p.codeVerificationStatus = "VERIFIED";
        return json(200, obj().put("success", true));
    }

    /** The code last requested for a phone number id, or null. */
    String pendingCode(String phoneNumberId) {
        Phone p = state.phones.get(phoneNumberId);
        return p == null ? null : p.pendingCode;
    }
}
