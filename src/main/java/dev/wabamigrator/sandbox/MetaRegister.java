package dev.wabamigrator.sandbox;

import static dev.wabamigrator.sandbox.GraphErrors.error;
import static dev.wabamigrator.sandbox.GraphErrors.invalidParameter;
import static dev.wabamigrator.sandbox.GraphErrors.json;
import static dev.wabamigrator.sandbox.GraphErrors.obj;

import dev.wabamigrator.sandbox.MetaSandbox.Ops;
import dev.wabamigrator.sandbox.MetaState.Auth;
import dev.wabamigrator.sandbox.MetaState.NumberState;
import dev.wabamigrator.sandbox.MetaState.Phone;
import dev.wabamigrator.sandbox.MetaState.Scenario;
import java.time.Instant;

/**
 * {@code POST /{phone}/register} and {@code /deregister}: the register budget (10 per number per 72 h, then locked),
 * the two-step PIN, and patterns 1003 (PIN mismatch) and 1008 (503, then 500, then normal).
 */
final class MetaRegister {

    private final MetaState state;

    MetaRegister(MetaState state) {
        this.state = state;
    }

    SandboxReply register(GraphRequest req, String phoneId, Auth auth, boolean deregister) {
        Phone p = state.phones.get(phoneId);
        if (p == null || p.source) {
            return GraphErrors.noSuchObject(phoneId);
        }
        state.calls.count(deregister ? Ops.DEREGISTER : Ops.REGISTER, p.e164);
        SandboxReply denied = MetaState.needsBusinessToken(state.wabas.get(p.wabaId), auth);
        if (denied != null) {
            return denied;
        }
        Scenario sc = state.scenario(p);
        SandboxReply limited = state.rateLimitedOnce(sc, phoneId);
        if (limited != null) {
            return limited;
        }
        if (!deregister && !"whatsapp".equals(req.param("messaging_product"))) {
            return invalidParameter("(#100) The parameter messaging_product is required.", "messaging_product must be whatsapp");
        }
        String pin = req.param("pin", "");
        if (!deregister && !pin.matches("\\d{6}")) {
            return invalidParameter("(#100) Invalid parameter", "pin must be a 6-digit string");
        }
        NumberState n = state.number(p.e164);
        if (!withinBudget(n)) {
            return GraphErrors.budgetExhausted();
        }
        if (deregister) {
            p.status = "DISCONNECTED";
            return json(200, obj().put("success", true));
        }
        if (sc.pattern() == 1008 && n.failures < 2) {
            n.failures++;
            return n.failures == 1 ? GraphErrors.html503() : GraphErrors.serviceUnavailable();
        }
        if (!p.flowA && !"VERIFIED".equals(p.codeVerificationStatus)) {
            return error(400, 133006, null, "OAuthException", "(#133006) Phone number needs to be verified before registering",
                    "Phone number re-verification needed", "Verify the phone number with request_code and verify_code first.",
                    "Phone number needs to be verified before registering", null);
        }
        boolean mismatch = n.pin != null ? !n.pin.equals(pin) : sc.pattern() == 1003;
        if (mismatch) {
            return error(400, 133005, null, "OAuthException", "(#133005) Two step verification PIN Mismatch",
                    "Two step verification PIN Mismatch", "The two-step verification PIN is incorrect.",
                    "Two step verification PIN Mismatch", null);
        }
        n.pin = pin;
        p.status = "CONNECTED";
        Phone src = state.sourcePhone(p.e164);
        if (src != null) {
            src.status = "MIGRATED";
        }
        return json(200, obj().put("success", true));
    }

    /** Spends one call of the number's register budget; false (and locked for the window) when it is used up. */
    private boolean withinBudget(NumberState n) {
        Instant now = state.config.clock().instant();
        if (n.lockedUntil != null && now.isBefore(n.lockedUntil)) {
            return false;
        }
        Instant windowStart = now.minus(state.config.registerWindow());
        n.budgetCalls.removeIf(t -> !t.isAfter(windowStart));
        if (n.budgetCalls.size() >= state.config.registerLimit()) {
            n.lockedUntil = now.plus(state.config.registerWindow());
            return false;
        }
        n.budgetCalls.add(now);
        return true;
    }

    /** The owner turned two-step verification off: migrate may go on, and the PIN is gone. */
    void disableTwoStep(String e164) {
        NumberState n = state.number(MetaState.digits(e164));
        n.twoStepDisabled = true;
        n.pin = null;
    }

    void setPin(String e164, String pin) {
        state.number(MetaState.digits(e164)).pin = pin;
    }
}
