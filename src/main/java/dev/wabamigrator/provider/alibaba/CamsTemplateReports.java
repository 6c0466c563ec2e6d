package dev.wabamigrator.provider.alibaba;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.engine.ErrorClass;
import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.ProviderError;
import dev.wabamigrator.engine.ProviderPauses;
import dev.wabamigrator.event.EventTypes;
import dev.wabamigrator.event.MigrationEvents;
import dev.wabamigrator.provider.alibaba.AlibabaErrorClassifier.CamsResult;
import dev.wabamigrator.store.MigrationStore;
import dev.wabamigrator.store.Sql;
import dev.wabamigrator.store.TemplateReportStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The templates report of ALIBABA_CHATAPP, which trails the migration (route {@code alibaba-template-reports}): the
 * reports due are claimed, those of one space share one listing ({@code ListChatappTemplate}, page after page until
 * its {@code Total} is read), and each migration gets one {@code waba.migration.templates.migrated} with mode
 * {@code SPACE_LISTING}. A listing that fails still reports ({@code listed: false} and a note); the migration is
 * over and stays so.
 */
public final class CamsTemplateReports {
    private static final Logger LOG = LoggerFactory.getLogger(CamsTemplateReports.class);
    /** Templates per page (the API reference's example asks for 20; its default is 10). */
    static final int PAGE_SIZE = 20;
    /** Attempts of one page that is throttled or unanswered before the listing is given up. */
    static final int ATTEMPTS_PER_PAGE = 3;
    /** Pages read at most, so that an answer whose Total never comes ends the listing. */
    static final int MAX_PAGES = 500;
    /** The templates not approved named in the event, at most (the counts cover all): the Meta report's cap. */
    static final int MAX_NAMED = 2000;
    static final String MODE = "SPACE_LISTING";
    /** The step the event names: the report is about no step of the flow. */
    static final String STEP = "templates";
    private static final String APPROVED = "pass";

    private final TemplateReportStore reports;
    private final MigrationStore migrations;
    private final MigrationEvents events;
    private final ProviderPauses pauses;
    private final ObjectMapper json;
    private final Clock clock;
    private final String owner;
    private final Duration lease;
    private final int batchSize;

    public CamsTemplateReports(TemplateReportStore reports, MigrationStore migrations, MigrationEvents events,
                               ProviderPauses pauses, ObjectMapper json, Clock clock, String owner, Duration lease,
                               int batchSize) {
        this.reports = reports;
        this.migrations = migrations;
        this.events = events;
        this.pauses = pauses;
        this.json = json;
        this.clock = clock;
        this.owner = owner;
        this.lease = lease;
        this.batchSize = batchSize;
    }

    /** One space's listing, shared by the reports claimed for it. */
    public static final class Listing {
        final String token;
        final String custSpaceId;
        final List<String> migrationIds = new ArrayList<>();
        int nextIndex = 1;
        int total = -1;
        int read;
        int failedAttempts;
        long retryDelayMs;
        boolean done;
        boolean listed = true;
        String note;
        final Map<String, Integer> byAuditStatus = new TreeMap<>();
        int notApproved;
        final List<ObjectNode> named = new ArrayList<>();

        Listing(String token, String custSpaceId) {
            this.token = token;
            this.custSpaceId = custSpaceId;
        }

        public String custSpaceId() {
            return custSpaceId;
        }

        public List<String> migrationIds() {
            return migrationIds;
        }
    }

    /**
     * Claims the reports due, one listing per space. None while every cams call is paused (a credential failure):
     * they stay due until the pause ends.
     */
    public List<Listing> claim() {
        if (pauses.active(AlibabaErrorClassifier.PROVIDER).isPresent()) {
            return List.of();
        }
        Instant now = clock.instant();
        String token = UUID.randomUUID().toString();
        Map<String, Listing> bySpace = new LinkedHashMap<>();
        for (TemplateReportStore.Due due : reports.claim(owner, token, now.plus(lease), now, batchSize)) {
            bySpace.computeIfAbsent(due.custSpaceId(), space -> new Listing(token, space))
                    .migrationIds.add(due.migrationId());
        }
        return new ArrayList<>(bySpace.values());
    }

    public boolean more(Listing listing) {
        return !listing.done;
    }

    /** How long to wait before the next call: 0, or the wait after a throttled or unanswered page. */
    public long retryDelay(Listing listing) {
        long delay = listing.retryDelayMs;
        listing.retryDelayMs = 0;
        return delay;
    }

    /** The next page's call: operation and parameters for {@code alibaba-cams-read}. */
    public void nextPage(Exchange exchange, Listing listing) {
        exchange.setProperty(CamsRequests.OPERATION_PROPERTY, CamsOperation.LIST_CHATAPP_TEMPLATE.action());
        ObjectNode page = json.createObjectNode().put("Index", listing.nextIndex).put("Size", PAGE_SIZE);
        exchange.setProperty(CamsRequests.PARAMETERS_PROPERTY, Map.of(CamsOperation.CUST_SPACE_ID,
                listing.custSpaceId, CamsOperation.PAGE, page.toString()));
    }

    /** Takes a page's answer: its templates, or its error (retried a few times when throttled or transient). */
    public void answered(Listing listing, CamsResult result, String response) {
        if (!result.success()) {
            failed(listing, result.error());
            return;
        }
        JsonNode body;
        try {
            body = json.readTree(response);
        } catch (Exception e) {
            failed(listing, ProviderError.of(AlibabaErrorClassifier.PROVIDER, "UnreadableAnswer",
                    "the answer is not JSON", ErrorClass.TRANSIENT));
            return;
        }
        JsonNode templates = body.path("ListTemplate");
        listing.failedAttempts = 0;
        listing.total = body.path("Total").asInt(listing.total);
        for (JsonNode template : templates) {
            listing.read++;
            String status = template.path("AuditStatus").asText("unknown");
            listing.byAuditStatus.merge(status, 1, Integer::sum);
            if (!APPROVED.equals(status)) {
                listing.notApproved++;
                if (listing.named.size() < MAX_NAMED) {
                    ObjectNode named = json.createObjectNode();
                    named.put("name", template.path("TemplateName").asText(""));
                    named.put("language", template.path("Language").asText(""));
                    named.put("templateCode", template.path("TemplateCode").asText(""));
                    named.put("auditStatus", status);
                    String reason = template.path("Reason").asText("");
                    if (!reason.isBlank() && !"None".equals(reason)) {
                        named.put("reason", truncate(reason));
                    }
                    listing.named.add(named);
                }
            }
        }
        listing.nextIndex++;
        if (templates.isEmpty() || listing.total < 0 || listing.read >= listing.total) {
            listing.done = true; // a page without templates ends it too: cams has no more to give
        } else if (listing.nextIndex > MAX_PAGES) {
            stop(listing, "stopped after " + MAX_PAGES + " pages, " + listing.read + " of " + listing.total
                    + " templates read");
        } else {
            reports.extend(listing.token, clock.instant().plus(lease)); // a long listing keeps its claims
        }
    }

    /** The page's call failed without an answer (a lost connection, a timeout). */
    public void notAnswered(Listing listing, Exception failure) {
        failed(listing, ProviderError.of(AlibabaErrorClassifier.PROVIDER, failure.getClass().getSimpleName(),
                "no answer: " + failure.getMessage(), ErrorClass.TRANSIENT));
    }

    /**
     * Each migration's report, through the outbox, with its due record deleted: all of the listing's in one
     * transaction, or, if one of them spoils it, each in its own so that the others still go out.
     */
    public void publish(Listing listing) {
        ObjectNode report = report(listing);
        try {
            migrations.inOneTransaction(() -> {
                listing.migrationIds.forEach(migrationId -> publish(listing, report, migrationId));
                return null;
            });
        } catch (RuntimeException oneSpoiledTheWhole) {
            listing.migrationIds.forEach(migrationId -> publish(listing, report, migrationId));
        }
        LOG.info("templates of cams space {} {} ({} templates, {} not approved) for {} migration(s)",
                listing.custSpaceId, listing.listed ? "listed" : "not listed: " + listing.note, listing.read,
                listing.notApproved, listing.migrationIds.size());
    }

    private void publish(Listing listing, ObjectNode report, String migrationId) {
        Instant now = clock.instant();
        Optional<Migration> migration;
        try {
            migration = migrations.find(migrationId);
        } catch (RuntimeException unreadable) {
            if (unreadable instanceof Sql.SqlFailure failure && !(failure instanceof Sql.RefusedValue)) {
                throw failure; // the database is unwell, not the row: the report stays due and goes out once it is back
            }
            LOG.warn("templates report of migration {} dropped: its row cannot be read ({})", migrationId,
                    unreadable.toString());
            migration = Optional.empty();
        }
        boolean written = reports.report(migrationId, listing.token, migration.map(m -> events.migrationReport(
                EventTypes.TEMPLATES_MIGRATED, m, STEP, report, now)).orElse(null), now);
        if (!written) {
            LOG.info("templates report of migration {} left to the instance that holds its claim now", migrationId);
        }
    }

    ObjectNode report(Listing listing) {
        ObjectNode report = json.createObjectNode();
        report.put("custSpaceId", listing.custSpaceId);
        report.put("mode", MODE);
        report.put("listed", listing.listed);
        ObjectNode counts = report.putObject("counts");
        counts.put("total", Math.max(listing.total, listing.read));
        counts.put("listed", listing.read);
        counts.put("notApproved", listing.notApproved);
        ObjectNode byStatus = report.putObject("byAuditStatus");
        listing.byAuditStatus.forEach(byStatus::put);
        ArrayNode named = report.putArray("notApproved");
        listing.named.forEach(named::add);
        report.put("migrationsSharingListing", listing.migrationIds.size());
        if (listing.note != null) {
            report.put("note", truncate(listing.note));
        }
        return report;
    }

    private void failed(Listing listing, ProviderError error) {
        boolean retryable = error.errorClass() == ErrorClass.RATE_LIMITED || error.errorClass() == ErrorClass.TRANSIENT;
        if (retryable && ++listing.failedAttempts < ATTEMPTS_PER_PAGE) {
            listing.retryDelayMs = error.retryAfter() != null ? error.retryAfter().toMillis()
                    : 1000L * listing.failedAttempts;
            return;
        }
        stop(listing, "ListChatappTemplate page " + listing.nextIndex + " failed"
                + (retryable ? " " + listing.failedAttempts + " times" : "") + ": " + error.code()
                + (error.message().isBlank() ? "" : " (" + error.message() + ")"));
    }

    private static void stop(Listing listing, String note) {
        listing.done = true;
        listing.listed = false;
        listing.note = note;
    }

    private static String truncate(String text) {
        return text.length() <= 500 ? text : text.substring(0, 497) + "...";
    }
}
