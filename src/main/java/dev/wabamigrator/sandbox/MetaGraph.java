package dev.wabamigrator.sandbox;

import dev.wabamigrator.sandbox.MetaFaults.Script;
import dev.wabamigrator.sandbox.MetaSandbox.Ops;
import dev.wabamigrator.sandbox.MetaState.Auth;
import dev.wabamigrator.sandbox.MetaState.Intent;
import dev.wabamigrator.sandbox.MetaState.Phone;
import dev.wabamigrator.sandbox.MetaState.Waba;
import dev.wabamigrator.sandbox.MetaTokens.Caller;
import java.util.ArrayList;
import java.util.List;

/**
 * The Graph API of the sandbox: names the operation of a call, counts it, checks the token, applies the fault
 * scripts and hands the call to the resource it is about. Decides which answers pattern 1009 holds.
 */
final class MetaGraph {

    /** An answer, and whether it is held until released. */
    record Answer(SandboxReply reply, boolean hold) {
    }

    final MetaState state;
    final MetaFaults faults = new MetaFaults();
    final MetaTokens tokens;
    final MetaIntents intents;
    final MetaSubscribedApps subscribedApps;
    final MetaPhoneNumbers phoneNumbers;
    final MetaMigration migration;
    final MetaCodes codes;
    final MetaRegister register;

    MetaGraph(MetaState state) {
        this.state = state;
        this.tokens = new MetaTokens(state);
        this.intents = new MetaIntents(state);
        this.subscribedApps = new MetaSubscribedApps(state);
        this.phoneNumbers = new MetaPhoneNumbers(state);
        this.migration = new MetaMigration(state);
        this.codes = new MetaCodes(state);
        this.register = new MetaRegister(state);
    }

    Answer answer(GraphRequest req) {
        List<String> seg = new ArrayList<>(req.segments);
        if (!seg.isEmpty() && seg.get(0).matches("v\\d+(\\.\\d+)?")) {
            seg.remove(0);
        }
        String op = operation(req.method, seg);
        String id = seg.isEmpty() ? "" : seg.get(0);
        state.calls.count(op, MetaSandbox.ALL);
        state.calls.count(op, id);
        if (seg.isEmpty() || seg.size() > 2 || op.equals(Ops.UNKNOWN)) {
            return new Answer(GraphErrors.unknownPath("/" + String.join("/", seg)), false);
        }
        if (req.malformedBody) {
            return new Answer(GraphErrors.invalidParameter("(#100) Invalid parameter",
                    "the request body is not valid JSON"), false);
        }
        synchronized (state.lock) {
            Caller caller = tokens.authenticate(req);
            if (caller.refused() != null) {
                return new Answer(caller.refused(), false);
            }
            String number = numberOf(op, id, req);
            Script script = faults.next(op, id, number);
            if (script != null && !script.afterEffect()) {
                if (number != null) {
                    state.calls.count(op, number);
                }
                return new Answer(GraphErrors.fault(script.fault()), false);
            }
            SandboxReply reply = call(op, id, req, caller);
            if (script != null && reply.status() / 100 == 2) {
                return new Answer(GraphErrors.fault(script.fault()), false); // applied, answered with the fault
            }
            boolean hold = reply.status() / 100 == 2 && state.config.holdOperations().contains(op)
                    && holdScenario(op, id, req) == 1009;
            return new Answer(reply, hold);
        }
    }

    private SandboxReply call(String op, String id, GraphRequest req, Caller caller) {
        Auth auth = caller.auth();
        return switch (op) {
            case Ops.SET_INTENT -> intents.set(req, id);
            case Ops.GET_INTENT -> state.intents.containsKey(id) ? intents.get(req, state.intents.get(id))
                    : GraphErrors.noSuchObject(id);
            case Ops.TOKEN -> tokens.fetch(req, id, auth);
            case Ops.SUBSCRIBE -> subscribedApps.subscribe(id, auth, caller.token());
            case Ops.GET_SUBSCRIBED -> subscribedApps.list(id, auth);
            case Ops.LIST_NUMBERS -> phoneNumbers.list(req, id, auth);
            case Ops.MIGRATE -> migration.migrate(req, id, auth);
            case Ops.REQUEST_CODE -> codes.request(req, id, auth);
            case Ops.VERIFY_CODE -> codes.verify(req, id, auth);
            case Ops.REGISTER -> register.register(req, id, auth, false);
            case Ops.DEREGISTER -> register.register(req, id, auth, true);
            case Ops.GET_NUMBER -> state.phones.containsKey(id) ? phoneNumbers.get(req, state.phones.get(id), auth)
                    : GraphErrors.noSuchObject(id);
            case Ops.GET_WABA -> phoneNumbers.getWaba(req, id, auth);
            case Ops.LIST_TEMPLATES -> state.templates.list(req, id);
            case Ops.MIGRATE_TEMPLATES -> state.templates.migrate(req, id);
            default -> GraphErrors.noSuchObject(id);
        };
    }

    /** The E.164 number a call is about (a call on a phone number id, or migrate's cc + phone_number), else null. */
    private String numberOf(String op, String id, GraphRequest req) {
        Phone p = state.phones.get(id);
        if (p != null) {
            return p.e164;
        }
        if (op.equals(Ops.MIGRATE)) {
            return req.param("cc", "") + req.param("phone_number", "");
        }
        return null;
    }

    /** The pattern deciding whether pattern 1009 holds this (successful) call's response. */
    private int holdScenario(String op, String id, GraphRequest req) {
        Phone p = state.phones.get(id);
        if (p != null) {
            return state.scenario(p).pattern();
        }
        if (op.equals(Ops.MIGRATE)) {
            String cc = req.param("cc", "");
            String national = req.param("phone_number", "");
            return state.scenarioOfNumber(national, cc + national, state.wabas.get(id)).pattern();
        }
        Intent i = state.intents.get(id);
        if (i != null) {
            return state.scenario(state.wabas.get(i.sourceWaba)).pattern();
        }
        Waba w = state.wabas.get(id);
        return w != null ? state.scenario(w).pattern() : state.scenarioOfId(id).pattern();
    }

    private String operation(String method, List<String> seg) {
        if (seg.size() == 1 && method.equals("GET")) {
            synchronized (state.lock) {
                String id = seg.get(0);
                if (state.intents.containsKey(id)) {
                    return Ops.GET_INTENT;
                }
                if (state.phones.containsKey(id)) {
                    return Ops.GET_NUMBER;
                }
                return Ops.GET_WABA;
            }
        }
        if (seg.size() != 2) {
            return Ops.UNKNOWN;
        }
        boolean post = method.equals("POST");
        boolean get = method.equals("GET");
        return switch (seg.get(1)) {
            case "set_solution_migration_intent" -> post ? Ops.SET_INTENT : Ops.UNKNOWN;
            case "system_user_access_tokens" -> post ? Ops.TOKEN : Ops.UNKNOWN;
            case "subscribed_apps" -> post ? Ops.SUBSCRIBE : get ? Ops.GET_SUBSCRIBED : Ops.UNKNOWN;
            case "phone_numbers" -> post ? Ops.MIGRATE : get ? Ops.LIST_NUMBERS : Ops.UNKNOWN;
            case "request_code" -> post ? Ops.REQUEST_CODE : Ops.UNKNOWN;
            case "verify_code" -> post ? Ops.VERIFY_CODE : Ops.UNKNOWN;
            case "register" -> post ? Ops.REGISTER : Ops.UNKNOWN;
            case "deregister" -> post ? Ops.DEREGISTER : Ops.UNKNOWN;
            case "message_templates" -> get ? Ops.LIST_TEMPLATES : Ops.UNKNOWN;
            case "migrate_message_templates" -> post ? Ops.MIGRATE_TEMPLATES : Ops.UNKNOWN;
            default -> Ops.UNKNOWN;
        };
    }
}
