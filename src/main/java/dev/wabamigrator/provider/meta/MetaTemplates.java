package dev.wabamigrator.provider.meta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.ProviderError;
import dev.wabamigrator.engine.StepOutcome;
import dev.wabamigrator.event.EventTypes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.camel.Exchange;

/**
 * The {@code templates} step of META_CLASSIC and META_MPS (bean {@code metaTemplates}, route template
 * {@code meta-templates}), after register: the number has moved, so whatever happens here the migration completes,
 * and the step publishes {@code waba.migration.templates.migrated} with what it found and did. Fields and sources:
 * docs/meta-flows.md, "Templates".
 *
 * <p>One run lists the source's templates and the destination's (every page), then, in META_CLASSIC, asks Meta to
 * recreate at the destination the eligible ones it lacks (status APPROVED, quality GREEN or UNKNOWN; same name and
 * language is "already there"), naming them by {@code template_ids}, at most {@value #MAX_BATCH} per call. The ids that
 * Meta answers as failed are sent once more. META_MPS only lists and compares: Meta duplicates the templates itself on
 * that move.
 *
 * <p>The migrate call creates templates, so it is not sent again blindly: a call without a definite answer (a timeout,
 * a 5xx, a lost connection) is followed by a fresh read of the destination's list, and only the templates still
 * missing are sent again, in a batch half the size (Meta: "if the request takes longer than 30 seconds to execute and
 * times out, reduce the count"). A refusal of the whole call (for instance WABAs of different businesses) reports the
 * rest as skipped with Meta's reason; a list that cannot be read becomes the report's reason. Nothing here fails the
 * migration.
 */
public final class MetaTemplates {
    /** Exchange property holding the step's {@link Run}. */
    public static final String PROPERTY = "templates";
    /** Fields read of each template. */
    static final String FIELDS = "id,name,language,status,category,quality_score";
    /** Templates asked per page of a list. */
    static final int PAGE_LIMIT = 100;
    /** Meta's largest batch for migrate_message_templates ({@code count}, {@code template_ids}). */
    static final int MAX_BATCH = 500;
    /** Pages read of one list before the step gives up on it (50,000 templates at {@link #PAGE_LIMIT}). */
    static final int MAX_PAGES = 500;
    /** Migrate calls without a definite answer before the rest is reported as failed. */
    static final int MAX_UNANSWERED = 10;
    /** Failed and skipped templates named in the event, each; the counts always cover all of them. */
    static final int MAX_LISTED = 2000;

    private static final ObjectMapper JSON = new ObjectMapper();

    private enum Phase { LIST_SOURCE, LIST_DESTINATION, MIGRATE, RETRY, DONE }

    private record Template(String id, String name, String language, String status, String quality) {
        String key() {
            return name + "\u0000" + language;
        }
    }

    private record Problem(Template template, String reason) {
    }

    /** One run of the step: what was read, what is left to send, and what came of it. */
    public static final class Run {
        private final Migration migration;
        private final boolean migrates;
        private Phase phase = Phase.LIST_SOURCE;
        private Phase resumeAfterReadBack;
        private String after;
        private int pages;
        private final Map<String, Template> source = new LinkedHashMap<>();
        private final Set<String> atDestination = new HashSet<>();
        private final Set<String> pending = new LinkedHashSet<>();
        private List<String> batch = List.of();
        private int batchSize = MAX_BATCH;
        private int unanswered;
        private boolean listed;
        private final Map<String, String> failedOnce = new LinkedHashMap<>();
        private final Set<String> migrated = new LinkedHashSet<>();
        private final List<Problem> failed = new ArrayList<>();
        private final List<Problem> skipped = new ArrayList<>();
        private int eligible;
        private int alreadyPresent;
        private String note;

        Run(Migration migration, boolean migrates) {
            this.migration = migration;
            this.migrates = migrates;
        }
    }

    // ---- the route's questions ----------------------------------------------------------------------------

    /** The step's start: META_MPS only reports, META_CLASSIC migrates what is missing. */
    public void beginStep(Exchange exchange) {
        Migration m = exchange.getProperty("migration", Migration.class);
        Run r = new Run(m, !"META_MPS".equals(m.getFlow()));
        if (m.param("meta.sourceWabaId") == null) {
            r.note = "not compared: the command names no meta.sourceWabaId";
            r.phase = Phase.DONE;
        }
        exchange.setProperty(PROPERTY, r);
    }

    /** Another call to make. */
    public boolean more(Exchange exchange) {
        return run(exchange).phase != Phase.DONE;
    }

    /** Names the next call on the exchange: a page of a list, or a batch of templates to migrate. */
    public void nextCall(Exchange exchange) {
        Run r = run(exchange);
        exchange.removeProperty(GraphRequests.PAGE_AFTER);
        exchange.removeProperty(GraphRequests.REQUEST_BODY);
        switch (r.phase) {
            case LIST_SOURCE -> exchange.setProperty(GraphCall.PROPERTY, GraphCall.LIST_SOURCE_TEMPLATES);
            case LIST_DESTINATION -> exchange.setProperty(GraphCall.PROPERTY, GraphCall.LIST_DESTINATION_TEMPLATES);
            default -> {
                r.batch = List.copyOf(r.pending.stream().limit(r.batchSize).toList());
                ObjectNode body = JSON.createObjectNode();
                body.put("source_waba_id", r.migration.param("meta.sourceWabaId"));
                body.put("count", r.batch.size());
                ArrayNode ids = body.putArray("template_ids");
                r.batch.forEach(ids::add);
                exchange.setProperty(GraphCall.PROPERTY, GraphCall.MIGRATE_TEMPLATES);
                exchange.setProperty(GraphRequests.REQUEST_BODY, body.toString());
            }
        }
        if (r.after != null) {
            exchange.setProperty(GraphRequests.PAGE_AFTER, r.after);
        }
    }

    // ---- reading the answers ------------------------------------------------------------------------------

    /** A definite answer from Graph (success or a refusal). */
    public void answered(Run r, GraphResult answer) {
        switch (r.phase) {
            case LIST_SOURCE, LIST_DESTINATION -> pageRead(r, answer);
            case MIGRATE, RETRY -> migrateRead(r, answer);
            default -> { }
        }
    }

    /** No definite answer (timeout, 5xx, lost connection, a usage pause): a list stops, a migrate is read back. */
    public void notAnswered(Run r, Exception failure) {
        String why = describe(failure);
        if (r.phase == Phase.MIGRATE || r.phase == Phase.RETRY) {
            r.unanswered++;
            r.batchSize = Math.max(1, r.batch.size() / 2);
            r.resumeAfterReadBack = r.phase;
            startList(r, Phase.LIST_DESTINATION);
            r.atDestination.clear();
            if (r.unanswered >= MAX_UNANSWERED) {
                r.note = "migrate_message_templates got no answer " + r.unanswered + " times (last: " + why + ")";
            }
            return;
        }
        if (r.resumeAfterReadBack != null) {
            giveUp(r, "the destination's templates could not be read back after a migrate call without an answer ("
                    + why + "); check them in WhatsApp Manager");
        } else {
            r.note = (r.phase == Phase.LIST_SOURCE ? "the source's" : "the destination's")
                    + " templates could not be listed: " + why;
            r.phase = Phase.DONE;
        }
    }

    private void pageRead(Run r, GraphResult answer) {
        if (!answer.success()) {
            notAnswered(r, new IllegalStateException(errorText(answer.error())));
            return;
        }
        for (JsonNode t : answer.body().path("data")) {
            Template template = new Template(t.path("id").asText(), t.path("name").asText(),
                    t.path("language").asText(), upper(t.path("status")), quality(t.path("quality_score")));
            if (r.phase == Phase.LIST_SOURCE) {
                r.source.put(template.id(), template);
            } else {
                r.atDestination.add(template.key());
            }
        }
        JsonNode paging = answer.body().path("paging");
        String cursor = paging.path("cursors").path("after").asText("");
        if (paging.hasNonNull("next") && !cursor.isEmpty()) {
            if (++r.pages >= MAX_PAGES) {
                notAnswered(r, new IllegalStateException("more than " + MAX_PAGES + " pages"));
            } else {
                r.after = cursor;
            }
            return;
        }
        if (r.phase == Phase.LIST_SOURCE) {
            startList(r, Phase.LIST_DESTINATION);
        } else if (r.resumeAfterReadBack != null) {
            readBack(r);
        } else {
            plan(r);
        }
    }

    /** Both lists read: what is eligible, what is already there, what to send. */
    private void plan(Run r) {
        r.listed = true;
        for (Template t : r.source.values()) {
            String notEligible = notEligible(t);
            if (notEligible != null) {
                r.skipped.add(new Problem(t, notEligible));
            } else {
                r.eligible++;
                if (r.atDestination.contains(t.key())) {
                    r.alreadyPresent++;
                } else if (r.migrates) {
                    r.pending.add(t.id());
                } else {
                    r.failed.add(new Problem(t, "not duplicated by Meta to the destination WABA"));
                }
            }
        }
        r.phase = r.pending.isEmpty() ? Phase.DONE : Phase.MIGRATE;
    }

    /** After a migrate without an answer: what arrived counts as migrated; the rest goes again, in smaller batches. */
    private void readBack(Run r) {
        for (String id : List.copyOf(r.pending)) {
            if (r.atDestination.contains(r.source.get(id).key())) {
                r.pending.remove(id);
                r.migrated.add(id);
                r.failedOnce.remove(id); // a retry that went through before its answer was lost
            }
        }
        r.phase = r.resumeAfterReadBack;
        r.resumeAfterReadBack = null;
        if (r.note != null) {
            giveUp(r, r.note);
        } else {
            nextBatchOrRetry(r);
        }
    }

    private void migrateRead(Run r, GraphResult answer) {
        if (!answer.success()) {
            // a definite refusal of the whole call (for instance WABAs of different businesses): nothing was created
            String reason = "Meta refused migrate_message_templates: " + errorText(answer.error());
            for (String id : r.pending) {
                Problem p = new Problem(r.source.get(id), reason);
                if (r.phase == Phase.RETRY) {
                    r.failed.add(p); // it failed once already; the retry was refused
                } else {
                    r.skipped.add(p);
                }
                r.failedOnce.remove(id);
            }
            r.pending.clear();
            r.failedOnce.forEach((id, first) -> r.failed.add(new Problem(r.source.get(id), first)));
            r.failedOnce.clear();
            r.phase = Phase.DONE;
            return;
        }
        Set<String> answeredIds = new HashSet<>();
        for (JsonNode id : answer.body().path("migrated_templates")) {
            String text = id.isObject() ? id.path("id").asText() : id.asText();
            answeredIds.add(text);
            if (r.pending.contains(text)) {
                r.migrated.add(text);
                r.failedOnce.remove(text); // the retry went through
            }
        }
        Map<String, String> failures = failures(answer.body().path("failed_templates"));
        answeredIds.addAll(failures.keySet());
        for (String id : r.batch) {
            String reason = failures.get(id);
            if (reason == null && !answeredIds.contains(id)) {
                reason = "not named in Meta's answer";
            }
            if (reason != null) {
                if (r.phase == Phase.MIGRATE) {
                    r.failedOnce.put(id, reason);
                } else {
                    r.failed.add(new Problem(r.source.get(id), reason));
                    r.failedOnce.remove(id);
                }
            }
            r.pending.remove(id);
        }
        nextBatchOrRetry(r);
    }

    private void nextBatchOrRetry(Run r) {
        if (!r.pending.isEmpty()) {
            return;
        }
        if (r.phase == Phase.MIGRATE && !r.failedOnce.isEmpty()) {
            r.phase = Phase.RETRY; // the failed ids, once more
            r.pending.addAll(r.failedOnce.keySet());
            r.batchSize = MAX_BATCH;
            return;
        }
        r.failedOnce.forEach((id, reason) -> r.failed.add(new Problem(r.source.get(id), reason)));
        r.failedOnce.clear();
        r.phase = Phase.DONE;
    }

    /** Stops sending: every template still to send is reported failed with the reason. */
    private void giveUp(Run r, String reason) {
        r.note = reason;
        for (String id : r.pending) {
            r.failed.add(new Problem(r.source.get(id), reason));
            r.failedOnce.remove(id);
        }
        r.pending.clear();
        r.failedOnce.forEach((id, first) -> r.failed.add(new Problem(r.source.get(id), first)));
        r.failedOnce.clear();
        r.phase = Phase.DONE;
    }

    // ---- the outcome --------------------------------------------------------------------------------------

    /** Always a success (the number moved): the report goes out with the step's events. */
    public StepOutcome outcome(Migration m, Run r) {
        ObjectNode data = JSON.createObjectNode();
        if (m.param("meta.sourceWabaId") != null) {
            data.put("sourceWabaId", m.param("meta.sourceWabaId"));
        }
        data.put("destinationWabaId", GraphRequests.destinationWaba(m));
        data.put("mode", r.migrates ? "MIGRATE" : "REPORT_ONLY");
        data.put("listed", r.listed);
        ObjectNode counts = data.putObject("counts");
        counts.put("source", r.source.size());
        counts.put("eligible", r.eligible);
        counts.put("alreadyPresent", r.alreadyPresent);
        counts.put("migrated", r.migrated.size());
        counts.put("failed", r.failed.size());
        counts.put("skipped", r.skipped.size());
        data.set("failed", problems(r.failed));
        data.set("skipped", problems(r.skipped));
        if (r.note != null) {
            data.put("note", cut(r.note));
        }
        return new StepOutcome.Succeeded(Map.of(), null, Map.of(),
                new StepOutcome.Report(EventTypes.TEMPLATES_MIGRATED, data));
    }

    // ---- shared ---------------------------------------------------------------------------------------------

    private static void startList(Run r, Phase phase) {
        r.phase = phase;
        r.after = null;
        r.pages = 0;
    }

    /** Why Meta would not migrate it (its eligibility rule), or null when eligible. */
    private static String notEligible(Template t) {
        if (!"APPROVED".equals(t.status())) {
            return "not eligible: status " + (t.status() == null ? "unknown" : t.status()) + " (only APPROVED migrate)";
        }
        String q = t.quality();
        if (q != null && !q.equals("GREEN") && !q.equals("UNKNOWN")) {
            return "not eligible: quality " + q + " (only GREEN or UNKNOWN migrate)";
        }
        return null;
    }

    /** {@code failed_templates}: an object id -> reason, or a list of {id, reason}. */
    private static Map<String, String> failures(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> out.put(e.getKey(), reasonText(e.getValue())));
        } else if (node.isArray()) {
            for (JsonNode f : node) {
                out.put(f.path("id").asText(), reasonText(f.has("reason") ? f.path("reason") : f.path("error")));
            }
        }
        return out;
    }

    private static String reasonText(JsonNode reason) {
        String text = reason.isTextual() ? reason.asText() : reason.toString();
        return text.isBlank() ? "failed (no reason given)" : cut(text);
    }

    /** {@code quality_score} is an object with {@code score}; a plain string is read too. Absent: null. */
    private static String quality(JsonNode node) {
        JsonNode score = node.isObject() ? node.path("score") : node;
        return score.isMissingNode() || score.isNull() || score.asText().isBlank() ? null
                : score.asText().toUpperCase(Locale.ROOT);
    }

    private static String upper(JsonNode node) {
        return node.isMissingNode() || node.isNull() ? null : node.asText().toUpperCase(Locale.ROOT);
    }

    private static ArrayNode problems(List<Problem> list) {
        ArrayNode out = JSON.createArrayNode();
        for (Problem p : list.subList(0, Math.min(list.size(), MAX_LISTED))) {
            out.addObject().put("name", p.template().name()).put("language", p.template().language())
                    .put("reason", cut(p.reason()));
        }
        return out;
    }

    private static String errorText(ProviderError e) {
        return e == null ? "no answer" : e.code() + ": " + e.message();
    }

    private static String describe(Exception failure) {
        if (failure instanceof IllegalStateException && failure.getMessage() != null) {
            return failure.getMessage();
        }
        String message = failure.getMessage();
        return failure.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private static String cut(String text) {
        return text.length() <= 500 ? text : text.substring(0, 497) + "...";
    }

    private static Run run(Exchange exchange) {
        return exchange.getProperty(PROPERTY, Run.class);
    }
}
