package dev.wabamigrator.sandbox;

import static dev.wabamigrator.sandbox.GraphErrors.invalidParameter;
import static dev.wabamigrator.sandbox.GraphErrors.json;
import static dev.wabamigrator.sandbox.GraphErrors.obj;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.sandbox.MetaState.Intent;
import dev.wabamigrator.sandbox.MetaState.Scenario;
import dev.wabamigrator.sandbox.MetaState.Waba;
import dev.wabamigrator.sandbox.MetaState.WabaKind;
import java.util.Set;

/**
 * Migration intents (flow A): {@code POST /{srcWaba}/set_solution_migration_intent} and {@code GET /{intent}}.
 * Polling accepts an intent after {@code pollsUntilAccepted} polls (1001: rejects it; 1002: never).
 */
final class MetaIntents {

    private final MetaState state;

    MetaIntents(MetaState state) {
        this.state = state;
    }

    SandboxReply set(GraphRequest req, String wabaId) {
        Waba w = state.waba(wabaId, WabaKind.SOURCE);
        SandboxReply limited = state.rateLimitedOnce(state.scenario(w), wabaId);
        if (limited != null) {
            return limited;
        }
        String appId = req.param("app_id");
        String solutionId = req.param("solution_id");
        if ((appId == null || appId.isBlank()) && (solutionId == null || solutionId.isBlank())) {
            return invalidParameter("The parameter app_id is required", "app_id or solution_id is required");
        }
        if (appId != null && !appId.equals(state.config.appId())) {
            return invalidParameter("Param app_id must be a valid app ID", "unknown app_id " + appId);
        }
        for (Intent i : state.intents.values()) {
            if (i.sourceWaba.equals(wabaId) && !i.status.equals("REJECTED")) {
                return json(200, obj().put("id", i.id));
            }
        }
        Intent intent = new Intent(state.nextId(), wabaId, solutionId);
        state.intents.put(intent.id, intent);
        return json(200, obj().put("id", intent.id));
    }

    SandboxReply get(GraphRequest req, Intent intent) {
        Scenario sc = state.scenario(state.wabas.get(intent.sourceWaba));
        SandboxReply limited = state.rateLimitedOnce(sc, intent.id);
        if (limited != null) {
            return limited;
        }
        if (intent.status.equals("INITIATED")) {
            intent.polls++;
            if (intent.polls > state.config.pollsUntilAccepted() && sc.pattern() != 1002) {
                if (sc.pattern() == 1001) {
                    intent.status = "REJECTED";
                } else {
                    accept(intent);
                }
            }
        }
        Set<String> fields = GraphFields.parse(req.param("fields"), "id", "status");
        ObjectNode out = obj().put("id", intent.id);
        if (fields.contains("status")) {
            out.put("status", intent.status);
        }
        if (fields.contains("waba")) {
            out.putObject("waba").put("id", intent.sourceWaba);
        }
        if (fields.contains("solution") && intent.solutionId != null) {
            out.putObject("solution").put("id", intent.solutionId).put("name", "Sandbox Solution")
                    .put("status", "ACTIVE");
        }
        if (fields.contains("destination_waba") && intent.destinationWaba != null) {
            Waba d = state.wabas.get(intent.destinationWaba);
            out.putObject("destination_waba").put("id", d.id).put("name", "Sandbox destination " + d.id)
                    .put("currency", "USD").put("timezone_id", "1").put("business_type", "ent")
                    .put("message_template_namespace", d.namespace);
        }
        return json(200, out);
    }

    /** The customer accepts (control endpoint or enough polls): the destination WABA comes into being. */
    void accept(Intent intent) {
        if (intent.destinationWaba == null) {
            Waba dest = state.waba(state.nextId(), WabaKind.INTENT_DESTINATION);
            dest.linkedSource = intent.sourceWaba;
            intent.destinationWaba = dest.id;
        }
        boolean newlyAccepted = !intent.status.equals("ACCEPTED");
        intent.status = "ACCEPTED";
        MetaWebhookSender webhooks = state.webhooks;
        if (newlyAccepted && webhooks != null) {
            webhooks.partnerAdded(intent.sourceWaba);
        }
    }

    /** Sets an intent's status by hand ({@code accept} or {@code reject}); false when the intent is unknown. */
    boolean decide(String intentId, boolean accept) {
        Intent i = state.intents.get(intentId);
        if (i == null) {
            return false;
        }
        if (accept) {
            accept(i);
        } else {
            i.status = "REJECTED";
        }
        return true;
    }
}
