package dev.wabamigrator.sandbox;

import static dev.wabamigrator.sandbox.GraphErrors.error;
import static dev.wabamigrator.sandbox.GraphErrors.invalidParameter;
import static dev.wabamigrator.sandbox.GraphErrors.json;
import static dev.wabamigrator.sandbox.GraphErrors.obj;

import dev.wabamigrator.sandbox.MetaState.Auth;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;

/**
 * Who may call: the system-user token, or a business token issued by {@code POST /{business}/system_user_access_tokens}
 * (which needs the system token and {@code appsecret_proof}). Pattern 1007 expires a business token.
 */
final class MetaTokens {

    /** The token a call presented, or the error that ends it. */
    record Caller(Auth auth, String token, SandboxReply refused) {
    }

    private final MetaState state;

    MetaTokens(MetaState state) {
        this.state = state;
    }

    Caller authenticate(GraphRequest req) {
        String token = req.bearer();
        if (token == null) {
            return refused(error(400, 104, null, "OAuthException", "An access token is required to request this resource.",
                    null, null, null, null));
        }
        if (token.equals(state.config.systemToken())) {
            return new Caller(Auth.SYSTEM, token, null);
        }
        if (state.expiredTokens.contains(token)) {
            return refused(GraphErrors.sessionExpired());
        }
        if (state.businessTokens.containsKey(token)) {
            return new Caller(Auth.BUSINESS, token, null);
        }
        return refused(error(401, 190, null, "OAuthException", "Invalid OAuth access token - Cannot parse access token",
                null, null, null, null));
    }

    private static Caller refused(SandboxReply reply) {
        return new Caller(null, null, reply);
    }

    SandboxReply fetch(GraphRequest req, String businessId, Auth auth) {
        SandboxReply limited = state.rateLimitedOnce(state.scenarioOfId(businessId), businessId);
        if (limited != null) {
            return limited;
        }
        if (auth != Auth.SYSTEM) {
            return error(403, 200, null, "OAuthException", "(#200) Permissions error", "Permissions error",
                    "system_user_access_tokens needs the system-user token", null, null);
        }
        String proof = req.param("appsecret_proof");
        String expected = MetaSandbox.appSecretProof(state.config.appSecret(), state.config.systemToken());
        if (proof == null || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                proof.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII))) {
            return error(400, 100, null, "GraphMethodException", "Invalid appsecret_proof provided in the API argument",
                    null, null, null, null);
        }
        if (!"true".equalsIgnoreCase(req.param("fetch_only"))) {
            return invalidParameter("(#100) Param fetch_only must be true", "the sandbox only fetches existing tokens");
        }
        String token = state.tokenOfBusiness.get(businessId);
        if (token == null || state.expiredTokens.contains(token)) {
            token = "sandbox-business-token-" + businessId + "-" + MetaState.random(12);
            state.businessTokens.put(token, businessId);
            state.tokenOfBusiness.put(businessId, token);
        }
        return json(200, obj().put("access_token", token));
    }
}
