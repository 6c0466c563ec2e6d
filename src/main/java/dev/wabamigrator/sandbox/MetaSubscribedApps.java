package dev.wabamigrator.sandbox;

import static dev.wabamigrator.sandbox.GraphErrors.json;
import static dev.wabamigrator.sandbox.GraphErrors.obj;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.sandbox.MetaState.Auth;
import dev.wabamigrator.sandbox.MetaState.Scenario;
import dev.wabamigrator.sandbox.MetaState.Waba;
import dev.wabamigrator.sandbox.MetaState.WabaKind;

/**
 * {@code POST} and {@code GET /{waba}/subscribed_apps}. A WABA not seen before counts as the BSP's own; pattern 1007
 * answers 190 once and expires the business token presented.
 */
final class MetaSubscribedApps {

    private final MetaState state;

    MetaSubscribedApps(MetaState state) {
        this.state = state;
    }

    SandboxReply subscribe(String wabaId, Auth auth, String token) {
        Waba w = state.waba(wabaId, WabaKind.BSP);
        SandboxReply denied = MetaState.needsBusinessToken(w, auth);
        if (denied != null) {
            return denied;
        }
        Scenario sc = state.scenario(w);
        SandboxReply limited = state.rateLimitedOnce(sc, wabaId);
        if (limited != null) {
            return limited;
        }
        if (sc.pattern() == 1007 && auth == Auth.BUSINESS && state.firedOnce.add("1007|" + sc.key())) {
            state.expiredTokens.add(token);
            return GraphErrors.sessionExpired();
        }
        w.subscribed = true;
        w.explicitlySubscribed = true;
        return json(200, obj().put("success", true));
    }

    SandboxReply list(String wabaId, Auth auth) {
        Waba w = state.waba(wabaId, WabaKind.BSP);
        SandboxReply denied = MetaState.needsBusinessToken(w, auth);
        if (denied != null) {
            return denied;
        }
        ObjectNode out = obj();
        ArrayNode data = out.putArray("data");
        // only an intent's new destination starts without an app (as migrate sees it), unless a control took the app
        // away from another WABA (preflight's missing subscription)
        boolean subscribed = w.subscribed || (w.kind != WabaKind.INTENT_DESTINATION && !w.explicitlySubscribed
                && state.facts.hasSubscription(wabaId));
        if (subscribed) {
            String appId = state.config.appId();
            data.addObject().putObject("whatsapp_business_api_data").put("id", appId)
                    .put("name", "Sandbox App").put("link", "https://www.facebook.com/games/?app_id=" + appId);
        }
        return json(200, out);
    }
}
