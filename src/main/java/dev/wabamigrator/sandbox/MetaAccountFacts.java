package dev.wabamigrator.sandbox;

import static dev.wabamigrator.sandbox.GraphErrors.json;
import static dev.wabamigrator.sandbox.GraphErrors.obj;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.sandbox.MetaState.Phone;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the preflight checks read, per WABA and per number, and the controls that change it (docs/sandbox.md,
 * "Preflight facts"). By default every WABA is verified, approved and has a payment method, a BSP's WABA has the
 * app subscribed, and every number has an approved name, no pending name change, is live and on Cloud API: the
 * sandbox's numbers pass preflight unless a test or the demo says otherwise.
 *
 * <p>Controls (no auth): {@code POST /meta-sandbox/wabas/{id}/facts} with any of {@code business_verification_status},
 * {@code account_review_status}, {@code payment_method} (true/false), {@code webhook_subscription} (true/false); and
 * {@code POST /meta-sandbox/numbers/{e164}/facts} with any of {@code name_status}, {@code new_name_status},
 * {@code account_mode}, {@code platform_type} (an empty value removes the field from Graph's answers).
 */
final class MetaAccountFacts {

    static final class WabaFacts {
        String businessVerification = "verified";
        String accountReview = "APPROVED";
        boolean paymentMethod = true;
        boolean webhookSubscription = true;
    }

    static final class NumberFacts {
        String nameStatus = "APPROVED";
        String newNameStatus;
        String accountMode = "LIVE";
        String platformType = "CLOUD_API";
    }

    private final Map<String, WabaFacts> wabas = new HashMap<>();
    private final Map<String, NumberFacts> numbers = new HashMap<>();

    WabaFacts waba(String id) {
        return wabas.computeIfAbsent(id, k -> new WabaFacts());
    }

    NumberFacts number(String e164) {
        return numbers.computeIfAbsent(e164, k -> new NumberFacts());
    }

    /** False when a control took the WABA's app subscription away (and nothing subscribed it since). */
    boolean hasSubscription(String wabaId) {
        WabaFacts f = wabas.get(wabaId);
        return f == null || f.webhookSubscription;
    }

    void clear() {
        wabas.clear();
        numbers.clear();
    }

    /** Adds the requested preflight fields of a WABA to {@code out}. */
    ObjectNode wabaFields(ObjectNode out, String wabaId, Set<String> fields) {
        WabaFacts f = waba(wabaId);
        put(out, fields, "business_verification_status", f.businessVerification);
        put(out, fields, "account_review_status", f.accountReview);
        put(out, fields, "primary_funding_id", f.paymentMethod ? "9" + Math.abs(wabaId.hashCode()) : null);
        return out;
    }

    /** Puts the number's preflight fields, where requested, over the defaults of {@code phoneJson}. */
    ObjectNode numberFields(ObjectNode out, Phone p, Set<String> fields) {
        NumberFacts f = number(p.e164);
        for (String field : List.of("name_status", "new_name_status", "account_mode", "platform_type")) {
            out.remove(field);
        }
        put(out, fields, "name_status", f.nameStatus);
        put(out, fields, "new_name_status", f.newNameStatus);
        put(out, fields, "account_mode", f.accountMode);
        put(out, fields, "platform_type", f.platformType);
        return out;
    }

    /** Sets the WABA facts the request names (the others stay) and answers them as they now stand. */
    ObjectNode setWaba(String wabaId, GraphRequest req) {
        WabaFacts f = waba(wabaId);
        f.businessVerification = text(req, "business_verification_status", f.businessVerification);
        f.accountReview = text(req, "account_review_status", f.accountReview);
        f.paymentMethod = Boolean.parseBoolean(req.param("payment_method", String.valueOf(f.paymentMethod)));
        f.webhookSubscription = Boolean.parseBoolean(req.param("webhook_subscription",
                String.valueOf(f.webhookSubscription)));
        return obj().put("waba_id", wabaId).put("business_verification_status", f.businessVerification)
                .put("account_review_status", f.accountReview).put("payment_method", f.paymentMethod)
                .put("webhook_subscription", f.webhookSubscription);
    }

    /** The facts controls; null when the request is not one of them. */
    SandboxReply control(GraphRequest req) {
        List<String> s = req.segments;
        if (!req.method.equals("POST") || s.size() != 3 || !s.get(2).equals("facts")) {
            return null;
        }
        if (s.get(0).equals("wabas")) {
            return json(200, setWaba(s.get(1), req));
        }
        if (s.get(0).equals("numbers")) {
            NumberFacts f = number(MetaState.digits(s.get(1)));
            f.nameStatus = text(req, "name_status", f.nameStatus);
            f.newNameStatus = text(req, "new_name_status", f.newNameStatus);
            f.accountMode = text(req, "account_mode", f.accountMode);
            f.platformType = text(req, "platform_type", f.platformType);
            ObjectNode out = obj().put("e164", MetaState.digits(s.get(1)));
            out.put("name_status", f.nameStatus).put("new_name_status", f.newNameStatus)
                    .put("account_mode", f.accountMode).put("platform_type", f.platformType);
            return json(200, out);
        }
        return null;
    }

    /** A control's value: absent keeps the current one, empty removes the field. */
    private static String text(GraphRequest req, String name, String current) {
        String v = req.param(name);
        if (v == null) {
            return current;
        }
        return v.isBlank() ? null : v;
    }

    private static void put(ObjectNode out, Set<String> fields, String field, String value) {
        if (fields.contains(field) && value != null) {
            out.put(field, value);
        }
    }
}
