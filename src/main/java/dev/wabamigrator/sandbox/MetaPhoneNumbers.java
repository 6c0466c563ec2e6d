package dev.wabamigrator.sandbox;

import static dev.wabamigrator.sandbox.GraphErrors.obj;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.sandbox.MetaState.Auth;
import dev.wabamigrator.sandbox.MetaState.Phone;
import dev.wabamigrator.sandbox.MetaState.Waba;
import dev.wabamigrator.sandbox.MetaState.WabaKind;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Reading numbers and WABAs: {@code GET /{waba}/phone_numbers} (paged), {@code GET /{phone}}, {@code GET /{waba}};
 * and seeding the source numbers a WABA lists.
 */
final class MetaPhoneNumbers {

    private final MetaState state;

    MetaPhoneNumbers(MetaState state) {
        this.state = state;
    }

    /** Seeds a CONNECTED number in a source WABA; returns its phone number id. */
    String addSource(String wabaId, String cc, String nationalNumber, String verifiedName) {
        Waba w = state.waba(wabaId, WabaKind.SOURCE);
        Phone p = new Phone(state.nextId(), w.id, cc, nationalNumber);
        p.displayPhoneNumber = "+" + cc + " " + nationalNumber;
        p.verifiedName = verifiedName == null ? "Sandbox Business" : verifiedName;
        p.status = "CONNECTED";
        p.codeVerificationStatus = "VERIFIED";
        p.source = true;
        state.phones.put(p.id, p);
        return p.id;
    }

    SandboxReply list(GraphRequest req, String wabaId, Auth auth) {
        Waba w = state.waba(wabaId, WabaKind.SOURCE);
        SandboxReply denied = MetaState.needsBusinessToken(w, auth);
        if (denied != null) {
            return denied;
        }
        SandboxReply limited = state.rateLimitedOnce(state.scenario(w), wabaId);
        if (limited != null) {
            return limited;
        }
        Set<String> fields = GraphFields.parse(req.param("fields"), "id", "display_phone_number", "verified_name",
                "code_verification_status", "quality_rating");
        List<Phone> listed = state.phones.values().stream().filter(p -> p.wabaId.equals(wabaId)).toList();
        int size = state.pageSize;
        String limit = req.param("limit");
        if (limit != null && limit.matches("\\d{1,4}") && Integer.parseInt(limit) > 0) {
            size = Math.min(size, Integer.parseInt(limit));
        }
        int from = cursorOffset(req.param("after"));
        int to = Math.min(listed.size(), from + size);
        ObjectNode out = obj();
        ArrayNode data = out.putArray("data");
        listed.subList(Math.min(from, listed.size()), to)
                .forEach(p -> data.add(state.facts.numberFields(phoneJson(p, fields), p, fields)));
        ObjectNode paging = out.putObject("paging");
        paging.putObject("cursors").put("before", cursor(from)).put("after", cursor(to));
        if (to < listed.size()) { // like Graph: "next" only when there is a next page
            paging.put("next", "/" + wabaId + "/phone_numbers?limit=" + size + "&after=" + cursor(to));
        }
        return GraphErrors.json(200, out);
    }

    SandboxReply get(GraphRequest req, Phone p, Auth auth) {
        SandboxReply denied = MetaState.needsBusinessToken(state.wabas.get(p.wabaId), auth);
        if (denied != null) {
            return denied;
        }
        Set<String> fields = GraphFields.parse(req.param("fields"), "id", "display_phone_number", "verified_name",
                "code_verification_status", "quality_rating", "status");
        return GraphErrors.json(200, state.facts.numberFields(phoneJson(p, fields), p, fields));
    }

    /**
     * {@code GET /{waba}}: with {@code fields}, the requested ones (preflight's, from {@link MetaAccountFacts}), else
     * the node's defaults. A WABA the sandbox has not seen yet answers too, as a partner's own WABA would; the read
     * creates nothing.
     */
    SandboxReply getWaba(GraphRequest req, String wabaId, Auth auth) {
        Waba w = state.wabas.get(wabaId);
        SandboxReply denied = MetaState.needsBusinessToken(w, auth);
        if (denied != null) {
            return denied;
        }
        String namespace = w == null ? "sandbox_" + wabaId : w.namespace;
        ObjectNode all = obj().put("id", wabaId).put("name", "Sandbox WABA " + wabaId).put("currency", "USD")
                .put("timezone_id", "1").put("message_template_namespace", namespace);
        if (req.param("fields") == null) {
            return GraphErrors.json(200, all);
        }
        Set<String> fields = GraphFields.parse(req.param("fields"));
        ObjectNode out = obj();
        all.fields().forEachRemaining(e -> {
            if (fields.contains(e.getKey())) {
                out.set(e.getKey(), e.getValue());
            }
        });
        return GraphErrors.json(200, state.facts.wabaFields(out, wabaId, fields));
    }

    /** The requested fields of a number. */
    static ObjectNode phoneJson(Phone p, Set<String> fields) {
        ObjectNode o = obj().put("id", p.id);
        Map<String, Supplier<String>> values = Map.of(
                "display_phone_number", () -> p.displayPhoneNumber,
                "verified_name", () -> p.verifiedName,
                "status", () -> p.status,
                "code_verification_status", () -> p.codeVerificationStatus,
                "quality_rating", () -> "GREEN",
                "name_status", () -> "APPROVED",
                "platform_type", () -> "CLOUD_API",
                "waba_id", () -> p.wabaId);
        for (String f : fields) {
            Supplier<String> v = values.get(f);
            if (v != null) {
                o.put(f, v.get());
            }
        }
        return o;
    }

    /** An opaque-looking cursor for a list offset. */
    private static String cursor(int offset) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("offset:" + offset).getBytes(StandardCharsets.UTF_8));
    }

    private static int cursorOffset(String cursor) {
        if (cursor == null || cursor.isBlank()) {
            return 0;
        }
        try {
            String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            return text.startsWith("offset:") ? Math.max(0, Integer.parseInt(text.substring(7))) : 0;
        } catch (IllegalArgumentException e) {
            return 0;
        }
    }
}
