package dev.wabamigrator.sandbox;

import static dev.wabamigrator.sandbox.GraphErrors.json;
import static dev.wabamigrator.sandbox.GraphErrors.obj;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.sandbox.MetaState.Waba;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Message templates per WABA (docs/sandbox.md, "Templates"): {@code GET /{wabaId}/message_templates} with cursor
 * paging, and {@code POST /{destinationWabaId}/migrate_message_templates}, which recreates the named templates of the
 * source at the destination. A WABA created by an accepted META_MPS intent starts with its source's APPROVED, GREEN
 * templates, as Meta duplicates them on that move.
 *
 * <p>What can go wrong, by control: templates that fail migration a number of times
 * ({@code POST /meta-sandbox/wabas/{id}/templates} with {@code fail_times}), WABAs of different businesses
 * ({@code POST /meta-sandbox/wabas/{id}/business}), and a migrate call naming more than {@code timeout_above}
 * templates ({@code POST /meta-sandbox/templates}), which creates the first half and then answers a timeout, the
 * way a call cut off after 30 s may have done part of its work.
 */
final class MetaTemplates {
    /** The business of a WABA no control placed elsewhere. */
    static final String DEFAULT_BUSINESS = "sandbox-business";

    static final class Template {
        final String id;
        final String name;
        final String language;
        final String status;
        final String category;
        final String quality;
        int failuresLeft;

        Template(String id, String name, String language, String status, String category, String quality) {
            this.id = id;
            this.name = name;
            this.language = language;
            this.status = status;
            this.category = category;
            this.quality = quality;
        }

        boolean eligible() {
            return "APPROVED".equals(status) && ("GREEN".equals(quality) || "UNKNOWN".equals(quality));
        }

        String key() {
            return name + "/" + language;
        }

        ObjectNode json() {
            ObjectNode t = obj().put("id", id).put("name", name).put("language", language).put("status", status)
                    .put("category", category);
            t.putObject("quality_score").put("score", quality);
            return t;
        }
    }

    private final MetaState state;
    private final Map<String, List<Template>> byWaba = new HashMap<>();
    private final Map<String, String> businessOf = new HashMap<>();
    private long nextId = 7_000_000_000L;
    /** A migrate call naming more templates than this times out (0: never). */
    private int timeoutAbove;

    MetaTemplates(MetaState state) {
        this.state = state;
    }

    void clear() {
        byWaba.clear();
        businessOf.clear();
        timeoutAbove = 0;
    }

    private List<Template> of(String wabaId) {
        List<Template> list = byWaba.get(wabaId);
        if (list == null) {
            list = new ArrayList<>();
            byWaba.put(wabaId, list);
            Waba w = state.wabas.get(wabaId);
            if (w != null && w.linkedSource != null) { // META_MPS: Meta duplicated the approved, green ones
                for (Template t : of(w.linkedSource)) {
                    if ("APPROVED".equals(t.status) && "GREEN".equals(t.quality)) {
                        list.add(new Template(String.valueOf(nextId++), t.name, t.language, t.status, t.category,
                                "UNKNOWN"));
                    }
                }
            }
        }
        return list;
    }

    private String business(String wabaId) {
        return businessOf.getOrDefault(wabaId, DEFAULT_BUSINESS);
    }

    /** {@code GET /{wabaId}/message_templates}: a page of {@code limit} (default: the sandbox's page size). */
    SandboxReply list(GraphRequest req, String wabaId) {
        List<Template> all = of(wabaId);
        int limit = Math.max(1, Integer.parseInt(req.param("limit", String.valueOf(state.pageSize))));
        int from = Integer.parseInt(req.param("after", "0"));
        int to = Math.min(all.size(), from + limit);
        ObjectNode out = obj();
        ArrayNode data = out.putArray("data");
        for (Template t : all.subList(Math.min(from, all.size()), to)) {
            data.add(t.json());
        }
        ObjectNode paging = out.putObject("paging");
        paging.putObject("cursors").put("before", String.valueOf(from)).put("after", String.valueOf(to));
        if (to < all.size()) {
            paging.put("next", "https://graph.facebook.com/v25.0/" + wabaId + "/message_templates?limit=" + limit
                    + "&after=" + to);
        }
        return json(200, out);
    }

    /** {@code POST /{destinationWabaId}/migrate_message_templates}. */
    SandboxReply migrate(GraphRequest req, String destination) {
        String source = req.param("source_waba_id");
        if (source == null || source.isBlank()) {
            return GraphErrors.invalidParameter("The parameter source_waba_id is required", "no source_waba_id");
        }
        if (!business(source).equals(business(destination))) {
            return GraphErrors.invalidParameter("Templates can only be migrated between WhatsApp Business Accounts "
                    + "owned by the same business", "source " + source + " and destination " + destination
                    + " belong to different businesses");
        }
        List<Template> sourceTemplates = of(source);
        List<Template> named = new ArrayList<>();
        String ids = req.param("template_ids");
        if (ids != null) {
            Set<String> wanted = new LinkedHashSet<>();
            try {
                SandboxHttp.JSON.readTree(ids).forEach(n -> wanted.add(n.asText()));
            } catch (Exception e) {
                return GraphErrors.invalidParameter("template_ids must be an array", ids);
            }
            if (wanted.size() > 500) {
                return GraphErrors.invalidParameter("template_ids takes at most 500 ids", wanted.size() + " ids");
            }
            for (String id : wanted) {
                named.add(sourceTemplates.stream().filter(t -> t.id.equals(id)).findFirst()
                        .orElse(new Template(id, null, null, null, null, null)));
            }
        } else {
            int count = Integer.parseInt(req.param("count", "500"));
            int page = Integer.parseInt(req.param("page_number", "0"));
            if (count < 1 || count > 500) {
                return GraphErrors.invalidParameter("count must be between 1 and 500", "count " + count);
            }
            List<Template> eligible = sourceTemplates.stream().filter(Template::eligible).toList();
            int from = Math.min(eligible.size(), page * count);
            named.addAll(eligible.subList(from, Math.min(eligible.size(), from + count)));
        }
        boolean timesOut = timeoutAbove > 0 && named.size() > timeoutAbove;
        List<Template> handled = timesOut ? named.subList(0, named.size() / 2) : named;
        List<Template> at = of(destination);
        ObjectNode out = obj();
        ArrayNode migrated = out.putArray("migrated_templates");
        ObjectNode failed = out.putObject("failed_templates");
        for (Template t : handled) {
            if (t.name == null) {
                failed.put(t.id, "Template not found in the source WhatsApp Business Account");
            } else if (!t.eligible()) {
                failed.put(t.id, "Only APPROVED templates with quality GREEN or UNKNOWN can be migrated");
            } else if (at.stream().anyMatch(d -> d.key().equals(t.key()))) {
                failed.put(t.id, "A template with this name and language already exists in the destination");
            } else if (t.failuresLeft > 0) {
                t.failuresLeft--;
                failed.put(t.id, "Template could not be created: it was rejected on re-review of its category");
            } else {
                at.add(new Template(String.valueOf(nextId++), t.name, t.language, "APPROVED", t.category, "UNKNOWN"));
                migrated.add(t.id);
            }
        }
        if (timesOut) {
            return GraphErrors.error(500, 1, null, "OAuthException", "Please reduce the amount of data you're asking "
                    + "for, then retry your request", null, null, "sandbox: migrate of " + named.size()
                    + " templates timed out after creating " + handled.size(), null);
        }
        return json(200, out);
    }

    // ---- controls ---------------------------------------------------------------------------------------------

    /** The templates controls; null when the request is not one of them. */
    SandboxReply control(GraphRequest req) {
        List<String> s = req.segments;
        if (req.method.equals("POST") && s.size() == 1 && s.get(0).equals("templates")) {
            timeoutAbove = Integer.parseInt(req.param("timeout_above", String.valueOf(timeoutAbove)));
            return json(200, obj().put("timeout_above", timeoutAbove));
        }
        if (s.size() != 3 || !s.get(0).equals("wabas")) {
            return null;
        }
        String waba = s.get(1);
        if (req.method.equals("POST") && s.get(2).equals("business")) {
            businessOf.put(waba, req.param("business_id", DEFAULT_BUSINESS));
            return json(200, obj().put("waba_id", waba).put("business_id", business(waba)));
        }
        if (req.method.equals("POST") && s.get(2).equals("templates")) {
            int count = Integer.parseInt(req.param("count", "1"));
            String prefix = req.param("prefix", "template");
            int failTimes = Integer.parseInt(req.param("fail_times", "0"));
            List<Template> list = of(waba);
            int base = list.size();
            for (int i = 0; i < count; i++) {
                Template t = new Template(String.valueOf(nextId++), prefix + "_" + (base + i),
                        req.param("language", "en_US"), req.param("status", "APPROVED"),
                        req.param("category", "UTILITY"), req.param("quality", "GREEN"));
                t.failuresLeft = failTimes;
                list.add(t);
            }
            return json(200, obj().put("waba_id", waba).put("templates", list.size()));
        }
        if (req.method.equals("GET") && s.get(2).equals("templates")) {
            ObjectNode out = obj();
            ArrayNode data = out.putArray("data");
            of(waba).forEach(t -> data.add(t.json()));
            return json(200, out);
        }
        return null;
    }

    /** For the demo: {@code count} templates named {@code prefix_i}; each fails migration {@code failTimes} times. */
    void add(String wabaId, String prefix, int count, String status, String quality, int failTimes) {
        List<Template> list = of(wabaId);
        int base = list.size();
        for (int i = 0; i < count; i++) {
            Template t = new Template(String.valueOf(nextId++), prefix + "_" + (base + i), "en_US", status, "UTILITY",
                    quality);
            t.failuresLeft = failTimes;
            list.add(t);
        }
    }
}
