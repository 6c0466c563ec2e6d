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
import dev.wabamigrator.sandbox.MetaState.Waba;
import dev.wabamigrator.sandbox.MetaState.WabaKind;

/**
 * {@code POST /{destWaba}/phone_numbers} with {@code migrate_phone_number=true}: the number joins the destination
 * {@code PENDING}. Patterns 1004 (already there), 1006 (two-step on) and 1010 (destination not subscribed).
 */
final class MetaMigration {

    private final MetaState state;

    MetaMigration(MetaState state) {
        this.state = state;
    }

    SandboxReply migrate(GraphRequest req, String wabaId, Auth auth) {
        Waba dest = state.waba(wabaId, WabaKind.BSP);
        if (dest.kind == WabaKind.BSP && !dest.explicitlySubscribed && state.facts.hasSubscription(dest.id)) {
            dest.subscribed = true; // a BSP's own WABA is subscribed to its app (flow B eligibility)
        }
        SandboxReply denied = MetaState.needsBusinessToken(dest, auth);
        if (denied != null) {
            return denied;
        }
        String cc = req.param("cc", "");
        String national = req.param("phone_number", "");
        if (!"true".equalsIgnoreCase(req.param("migrate_phone_number"))) {
            return invalidParameter("(#100) Invalid parameter", "the sandbox only supports migrate_phone_number=true");
        }
        if (!cc.matches("\\d{1,3}")) {
            return invalidParameter("(#100) Invalid parameter", "cc must be 1 to 3 digits");
        }
        if (!national.matches("\\d{4,14}") || (cc + national).length() > 15) {
            return invalidParameter("(#100) Invalid parameter",
                    "phone_number must be the national number: digits only, no '+' and no country code");
        }
        String e164 = cc + national;
        state.calls.count(Ops.MIGRATE, e164);
        Scenario sc = state.scenarioOfNumber(national, e164, dest);
        SandboxReply limited = state.rateLimitedOnce(sc, wabaId);
        if (limited != null) {
            return limited;
        }
        NumberState n = state.number(e164);
        if (sc.pattern() == 1006 && !n.twoStepDisabled) {
            return error(400, 100, null, "OAuthException", "(#100) Invalid parameter", "Two-step authentication enabled",
                    "Two-step authentication must be disabled for this phone number.", null, null);
        }
        boolean notSubscribed = dest.kind == WabaKind.INTENT_DESTINATION ? !dest.subscribed
                : (sc.pattern() == 1010 || !state.facts.hasSubscription(dest.id)) && !dest.explicitlySubscribed;
        if (notSubscribed) {
            return error(400, 100, 2388103, "OAuthException", "(#100) Invalid parameter", "Cannot migrate phone number.",
                    "Cannot migrate phone number.", null, null);
        }
        for (Phone p : state.phones.values()) {
            if (p.wabaId.equals(dest.id) && p.e164.equals(e164)) {
                return GraphErrors.alreadyInDestination();
            }
        }
        Phone p = new Phone(state.nextId(), dest.id, cc, national);
        Phone src = state.sourcePhone(e164);
        p.displayPhoneNumber = req.param("display_phone_number",
                src != null ? src.displayPhoneNumber : "+" + cc + " " + national);
        p.verifiedName = req.param("verified_name", src != null ? src.verifiedName : "Sandbox Business");
        p.status = "PENDING";
        p.flowA = dest.kind == WabaKind.INTENT_DESTINATION;
        p.codeVerificationStatus = p.flowA ? "VERIFIED" : "NOT_VERIFIED";
        state.phones.put(p.id, p);
        if (sc.pattern() == 1004) {
            return GraphErrors.alreadyInDestination(); // an earlier attempt went through: the number is already there
        }
        return json(200, obj().put("id", p.id));
    }
}
