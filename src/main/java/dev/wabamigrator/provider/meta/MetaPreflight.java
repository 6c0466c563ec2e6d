package dev.wabamigrator.provider.meta;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.engine.ErrorClass;
import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.Preflight.Check;
import dev.wabamigrator.engine.Preflight.Status;
import dev.wabamigrator.engine.ProviderError;
import dev.wabamigrator.engine.RetryPolicy;
import dev.wabamigrator.engine.StepOutcome;
import dev.wabamigrator.engine.StepOutcomeException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.camel.Exchange;

/**
 * The {@code preflight} step of META_CLASSIC and META_MPS (bean {@code metaPreflight}, route template
 * {@code meta-preflight}): Meta's preconditions for moving a number, read with GET calls only, all of them, and
 * reported at once. META_MPS's {@code check-destination} step judges the destination's checks with the same code
 * once the customer accepted. Field names and their sources are in docs/meta-flows.md, "Preflight".
 *
 * <p>A check ({@link dev.wabamigrator.engine.Preflight}) is {@link Status#PASSED}, {@link Status#FAILED} or
 * {@link Status#UNKNOWN} (it could not be read: a refused read, a field Graph did not return, a value Meta does not
 * document). Only FAILED checks stop the migration: a
 * person is asked ({@code HUMAN_ACTION}) with every failed check and what to do; {@code ResumeMigration} runs the
 * checks again. UNKNOWN checks never pass silently: they are named in that reason as "confirm", and in the
 * {@code preflight.checked} event. Two-step verification cannot be read by any API, so it is always UNKNOWN and the
 * customer's to confirm; it does not block by itself (the later steps ask a person if Meta refuses for it).
 *
 * <p>The one write: when no app is subscribed to the destination WABA's webhooks and every other check passed,
 * {@code POST /{destinationWabaId}/subscribed_apps} once, the call subscribe-webhooks and the 2388103 auto-fix make
 * too (a subscription is there or not: sending it again changes nothing; docs/meta-flows.md). A preflight that finds
 * anything else wrong makes no write at all.
 */
public final class MetaPreflight {
    /** Exchange property holding the run's {@link Report}. */
    public static final String PROPERTY = "preflight";

    static final String SOURCE_WABA_FIELDS = "id,business_verification_status,account_review_status";
    static final String DESTINATION_WABA_FIELDS = "id,business_verification_status,account_review_status,"
            + "primary_funding_id";
    static final String NUMBER_FIELDS = "id,display_phone_number,status,name_status,new_name_status,account_mode,"
            + "platform_type";

    /** The checks, in the order they are reported. */
    public static final String SOURCE_VERIFICATION = "source-business-verification";
    public static final String SOURCE_REVIEW = "source-account-review";
    public static final String DISPLAY_NAME = "display-name-approved";
    public static final String TEST_NUMBER = "not-a-test-number";
    public static final String BUSINESS_APP = "not-a-business-app-number";
    public static final String DESTINATION_VERIFICATION = "destination-business-verification";
    public static final String DESTINATION_REVIEW = "destination-account-review";
    public static final String PAYMENT_METHOD = "destination-payment-method";
    public static final String SUBSCRIPTION = "destination-webhook-subscription";
    public static final String TWO_STEP = "two-step-verification-off";

    private static final Set<String> NO_PENDING_NAME = Set.of("NONE", "APPROVED", "DECLINED", "EXPIRED");

    private final RetryPolicy retryPolicy;

    public MetaPreflight(RetryPolicy retryPolicy) {
        this.retryPolicy = retryPolicy;
    }

    /**
     * What one preflight run found. {@code step}: the migration's step, which may fix a missing subscription, and
     * whose reads that Graph throttled or failed wait and run again (a {@code CheckMigration} reports them UNKNOWN).
     */
    public static final class Report {
        private final Map<String, Check> checks = new LinkedHashMap<>();
        private final String title;
        private final Migration migration;
        private final boolean readsSource;
        private final boolean readsDestination;
        private final boolean step;

        Report(String title, Migration migration, boolean readsSource, boolean readsDestination, boolean step) {
            this.title = title;
            this.migration = migration;
            this.readsSource = readsSource;
            this.readsDestination = readsDestination;
            this.step = step;
        }

        void put(String name, Status status, String detail, String action) {
            checks.put(name, new Check(name, status, detail, action));
        }

        public List<Check> checks() {
            return List.copyOf(checks.values());
        }

        public List<Check> with(Status status) {
            return checks.values().stream().filter(c -> c.status() == status).toList();
        }

        Status status(String name) {
            Check c = checks.get(name);
            return c == null ? null : c.status();
        }
    }

    // ---- the route's questions ----------------------------------------------------------------------------

    /**
     * Starts a run: every check UNKNOWN until read. META_MPS reads the source and the number here; its destination
     * WABA exists only once the customer accepted, so its checks are named, not read (subscribe-webhooks subscribes
     * the app; check-destination reads the rest, see {@link #beginDestinationStep}). META_CLASSIC reads the destination, and
     * the source and the number when the command names {@code meta.sourceWabaId}.
     *
     * @param step true for the migration's step (it may fix a missing subscription), false for {@code CheckMigration}
     */
    public Report begin(Migration m, boolean step) {
        boolean mps = "META_MPS".equals(m.getFlow());
        boolean source = m.param("meta.sourceWabaId") != null;
        boolean destination = !mps && GraphRequests.destinationWaba(m) != null;
        Report r = new Report("preflight", m, source, destination, step);
        String noSource = "not read: the command names no meta.sourceWabaId";
        String sourceAction = source ? null : "confirm in the source WhatsApp Manager, or give meta.sourceWabaId";
        r.put(SOURCE_VERIFICATION, Status.UNKNOWN, noSource, sourceAction);
        r.put(SOURCE_REVIEW, Status.UNKNOWN, noSource, sourceAction);
        r.put(DISPLAY_NAME, Status.UNKNOWN, noSource, sourceAction);
        r.put(TEST_NUMBER, Status.UNKNOWN, noSource, sourceAction);
        r.put(BUSINESS_APP, Status.UNKNOWN, noSource, sourceAction);
        String later = "not read yet: Meta creates the destination WABA when the customer accepts";
        String noDestination = mps ? later + "; the check-destination step reads it then"
                : "not read: no destination WABA";
        r.put(DESTINATION_VERIFICATION, Status.UNKNOWN, noDestination, null);
        r.put(DESTINATION_REVIEW, Status.UNKNOWN, noDestination, null);
        r.put(PAYMENT_METHOD, Status.UNKNOWN, noDestination, null);
        r.put(SUBSCRIPTION, Status.UNKNOWN, mps ? later + "; the subscribe-webhooks step subscribes the app"
                : noDestination, null);
        r.put(TWO_STEP, Status.UNKNOWN, "no API reads it", "the number's owner disables two-step verification "
                + "(WhatsApp Manager > phone number > Two-step verification)");
        return r;
    }

    /** The step route's start: a fresh report in the exchange, with the subscription fix allowed. */
    public void beginStep(Exchange exchange) {
        exchange.setProperty(PROPERTY, begin(exchange.getProperty("migration", Migration.class), true));
    }

    /**
     * META_MPS {@code check-destination}: once the customer accepted, the destination WABA exists and its checks that
     * preflight could only name are read (verification, review, payment method). The subscription is not among
     * them: subscribe-webhooks made it just before. No write.
     */
    public void beginDestinationStep(Exchange exchange) {
        Migration m = exchange.getProperty("migration", Migration.class);
        Report r = new Report("check-destination", m, false, true, true);
        String notRead = "not read yet";
        r.put(DESTINATION_VERIFICATION, Status.UNKNOWN, notRead, null);
        r.put(DESTINATION_REVIEW, Status.UNKNOWN, notRead, null);
        r.put(PAYMENT_METHOD, Status.UNKNOWN, notRead, null);
        exchange.setProperty(PROPERTY, r);
    }

    public boolean readsSource(Exchange exchange) {
        return report(exchange).readsSource;
    }

    public boolean readsDestination(Exchange exchange) {
        return report(exchange).readsDestination;
    }

    /** Subscribe now: the subscription is missing, the fix is allowed, and nothing else failed. */
    public boolean subscribeNow(Exchange exchange) {
        Report r = report(exchange);
        return r.step && r.status(SUBSCRIPTION) == Status.FAILED && r.with(Status.FAILED).size() == 1;
    }

    // ---- reading the answers ------------------------------------------------------------------------------

    /** {@code GET /{sourceWabaId}}: business verification and the WABA's review. */
    public void sourceWabaRead(Report r, GraphResult answer) {
        stopUnlessUnreadable(r, answer);
        wabaRead(r, answer, "source", SOURCE_VERIFICATION, SOURCE_REVIEW);
    }

    /** {@code GET /{destinationWabaId}}: business verification, review, and a payment method. */
    public void destinationWabaRead(Report r, GraphResult answer) {
        stopUnlessUnreadable(r, answer);
        wabaRead(r, answer, "destination", DESTINATION_VERIFICATION, DESTINATION_REVIEW);
        if (!answer.success()) {
            r.put(PAYMENT_METHOD, Status.UNKNOWN, unreadable(answer), "confirm a payment method on the destination");
        } else if (answer.text("primary_funding_id") != null && !answer.text("primary_funding_id").isBlank()) {
            r.put(PAYMENT_METHOD, Status.PASSED, "primary_funding_id set", null);
        } else {
            r.put(PAYMENT_METHOD, Status.FAILED, "no primary_funding_id on the destination WABA",
                    "add a payment method to the destination WABA (or share the partner's credit line with it)");
        }
    }

    /** {@code GET /{destinationWabaId}/subscribed_apps}: at least one app. */
    public void subscriptionRead(Report r, GraphResult answer) {
        stopUnlessUnreadable(r, answer);
        if (!answer.success()) {
            r.put(SUBSCRIPTION, Status.UNKNOWN, unreadable(answer), "confirm an app is subscribed to the destination");
        } else if (answer.body().path("data").size() > 0) {
            r.put(SUBSCRIPTION, Status.PASSED, answer.body().path("data").size() + " app(s) subscribed", null);
        } else {
            r.put(SUBSCRIPTION, Status.FAILED, "no app subscribed to the destination WABA's webhooks",
                    r.step ? "the migration subscribes the app itself once the other checks pass"
                            : "POST /{destinationWabaId}/subscribed_apps (a migration's preflight does it itself)");
        }
    }

    /** The fix's answer: subscribed, or the check stays FAILED with Graph's answer. */
    public void subscribed(Report r, GraphResult answer) {
        if (answer.success()) {
            r.put(SUBSCRIPTION, Status.PASSED, "the app was not subscribed; preflight subscribed it", null);
        } else {
            r.put(SUBSCRIPTION, Status.FAILED, "subscribing the app failed: " + unreadable(answer),
                    "subscribe an app to the destination WABA's webhooks");
        }
    }

    /** {@code GET /{sourceWabaId}/phone_numbers} (the page that lists the number, or the last one read). */
    public void numberRead(Migration m, Report r, GraphResult answer) {
        stopUnlessUnreadable(r, answer);
        List<String> checks = List.of(DISPLAY_NAME, TEST_NUMBER, BUSINESS_APP);
        if (!answer.success()) {
            checks.forEach(c -> r.put(c, Status.UNKNOWN, unreadable(answer), "confirm in WhatsApp Manager"));
            return;
        }
        JsonNode number = MetaSteps.findNumber(m, answer.body());
        if (number == null) {
            checks.forEach(c -> r.put(c, Status.UNKNOWN, "+" + m.getPhoneE164() + " is not listed in the source WABA",
                    "check meta.sourceWabaId and the number"));
            return;
        }
        String name = upper(number, "name_status");
        String newName = upper(number, "new_name_status");
        if (name == null) {
            r.put(DISPLAY_NAME, Status.UNKNOWN, "name_status not returned", "confirm the display name is approved");
        } else if (!"APPROVED".equals(name)) {
            r.put(DISPLAY_NAME, Status.FAILED, "name_status " + name, "get the display name approved in WhatsApp "
                    + "Manager");
        } else if ("PENDING_REVIEW".equals(newName)) {
            r.put(DISPLAY_NAME, Status.FAILED, "a display name change is pending review (new_name_status "
                    + "PENDING_REVIEW)", "wait for Meta's decision on the new name, or withdraw it");
        } else if (newName != null && !NO_PENDING_NAME.contains(newName)) {
            r.put(DISPLAY_NAME, Status.UNKNOWN, "new_name_status " + newName + " is not documented",
                    "confirm no name change is pending");
        } else {
            r.put(DISPLAY_NAME, Status.PASSED, "name_status APPROVED, no name change pending", null);
        }
        String mode = upper(number, "account_mode");
        if (mode == null) {
            r.put(TEST_NUMBER, Status.UNKNOWN, "account_mode not returned", "confirm it is not a test number");
        } else if ("SANDBOX".equals(mode)) {
            r.put(TEST_NUMBER, Status.FAILED, "account_mode SANDBOX: a test number", "test numbers cannot be "
                    + "migrated; use the business's real number");
        } else if ("LIVE".equals(mode)) {
            r.put(TEST_NUMBER, Status.PASSED, "account_mode LIVE", null);
        } else {
            r.put(TEST_NUMBER, Status.UNKNOWN, "account_mode " + mode + " is not documented", "confirm in WhatsApp "
                    + "Manager");
        }
        String platform = upper(number, "platform_type");
        if (platform == null) {
            r.put(BUSINESS_APP, Status.UNKNOWN, "platform_type not returned", "confirm it is a Cloud API number");
        } else if ("CLOUD_API".equals(platform)) {
            r.put(BUSINESS_APP, Status.PASSED, "platform_type CLOUD_API", null);
        } else if ("NOT_APPLICABLE".equals(platform)) {
            r.put(BUSINESS_APP, Status.FAILED, "platform_type NOT_APPLICABLE: not on the WhatsApp Business Platform "
                    + "(a WhatsApp Business app number)", "register the number on Cloud API first");
        } else {
            r.put(BUSINESS_APP, Status.UNKNOWN, "platform_type " + platform, "confirm it is a Cloud API number");
        }
    }

    /** {@code CheckMigration}: a read that failed outright leaves the checks it serves UNKNOWN. */
    public void notRead(Report r, Exception failure, String read) {
        String detail = "not read (" + failure.getClass().getSimpleName() + ")";
        List<String> checks = switch (read) {
            case "source-waba" -> List.of(SOURCE_VERIFICATION, SOURCE_REVIEW);
            case "source-numbers" -> List.of(DISPLAY_NAME, TEST_NUMBER, BUSINESS_APP);
            case "destination-waba" -> List.of(DESTINATION_VERIFICATION, DESTINATION_REVIEW, PAYMENT_METHOD);
            default -> List.of(SUBSCRIPTION);
        };
        checks.forEach(c -> r.put(c, Status.UNKNOWN, detail, "check again later, or confirm in WhatsApp Manager"));
    }

    /** The run's checks, in their order. */
    public List<Check> checks(Report r) {
        return r.checks();
    }

    // ---- the outcome --------------------------------------------------------------------------------------

    /** Every check passed or could not be read: go on. Any FAILED: a person, with every failure and what to do. */
    public StepOutcome outcome(Migration m, Report r) {
        List<Check> failed = r.with(Status.FAILED);
        if (failed.isEmpty()) {
            return StepOutcome.succeeded();
        }
        String reason = reason(r.title, failed, r.with(Status.UNKNOWN));
        return new StepOutcome.NeedsHuman(ProviderError.of(MetaErrorClassifier.PROVIDER, "PREFLIGHT_FAILED", reason,
                ErrorClass.NEEDS_HUMAN), reason);
    }

    /**
     * Every failed check with what to do, then what to confirm, within {@link StepOutcome.NeedsHuman#MAX_REASON}.
     * When that is too long, the failures shorten (what was read, then the names only) so that every one is named.
     */
    static String reason(List<Check> failed, List<Check> unknown) {
        return reason("preflight", failed, unknown);
    }

    /** As {@link #reason(List, List)}, headed by the step that ran the checks. */
    static String reason(String title, List<Check> failed, List<Check> unknown) {
        String head = title + ": " + failed.size() + " check(s) failed. ";
        String tail = "Then send ResumeMigration.";
        String confirm = unknown.isEmpty() ? "" : "Confirm: "
                + String.join(", ", unknown.stream().map(Check::name).toList()) + ". ";
        int room = StepOutcome.NeedsHuman.MAX_REASON - head.length() - tail.length();
        String failures = null;
        for (int detail = 2; detail >= 0; detail--) {
            StringBuilder sb = new StringBuilder();
            for (Check c : failed) {
                sb.append(c.name());
                if (detail >= 1) {
                    sb.append(": ").append(c.detail());
                }
                if (detail == 2 && c.action() != null) {
                    sb.append(" -> ").append(c.action());
                }
                sb.append(detail == 0 ? ", " : ". ");
            }
            failures = sb.toString();
            if (failures.length() <= room) {
                break;
            }
        }
        if (failures.length() > room) {
            failures = failures.substring(0, room - 4) + "... ";
        }
        if (failures.endsWith(", ")) {
            failures = failures.substring(0, failures.length() - 2) + " (details in WhatsApp Manager). ";
        }
        String text = head + failures;
        if (text.length() + confirm.length() + tail.length() <= StepOutcome.NeedsHuman.MAX_REASON) {
            text += confirm;
        }
        return text + tail;
    }

    // ---- shared ---------------------------------------------------------------------------------------------

    /**
     * In the migration's step, a read that Graph throttled, that failed on the token, or that used up its tries is
     * not a check result: the step waits or asks a person, as any step does. A refusal to read (a field or object
     * this token may not see: 3, 10, 200-299, or a permanent error) leaves the checks it serves UNKNOWN.
     */
    private void stopUnlessUnreadable(Report r, GraphResult answer) {
        if (r.step && !answer.success() && !refusedToRead(answer.error())) {
            throw new StepOutcomeException(retryPolicy.outcomeFor(answer.error(), r.migration));
        }
    }

    private static boolean refusedToRead(ProviderError e) {
        if (e.errorClass() == ErrorClass.PERMANENT) {
            return true;
        }
        String head = e.code().split("/", 2)[0];
        if (!head.matches("\\d{1,9}")) {
            return false;
        }
        int code = Integer.parseInt(head);
        return code == 3 || code == 10 || (code >= 200 && code <= 299);
    }

    private static void wabaRead(Report r, GraphResult answer, String side, String verification, String review) {
        if (!answer.success()) {
            r.put(verification, Status.UNKNOWN, unreadable(answer), "confirm in Meta Business Suite");
            r.put(review, Status.UNKNOWN, unreadable(answer), "confirm in WhatsApp Manager");
            return;
        }
        String bv = answer.text("business_verification_status");
        if (bv == null) {
            r.put(verification, Status.UNKNOWN, "business_verification_status not returned",
                    "confirm the " + side + " business is verified");
        } else if ("verified".equalsIgnoreCase(bv)) {
            r.put(verification, Status.PASSED, "business_verification_status verified", null);
        } else {
            r.put(verification, Status.FAILED, "the " + side + " business is not verified (business_verification_status "
                    + bv.toLowerCase(Locale.ROOT) + ")", "complete business verification in Meta Business Suite "
                    + "(Security Centre)");
        }
        String ar = answer.text("account_review_status");
        if (ar == null) {
            r.put(review, Status.UNKNOWN, "account_review_status not returned", "confirm the " + side + " WABA is "
                    + "approved");
        } else if ("APPROVED".equalsIgnoreCase(ar)) {
            r.put(review, Status.PASSED, "account_review_status APPROVED", null);
        } else {
            r.put(review, Status.FAILED, "the " + side + " WABA's review is " + ar.toUpperCase(Locale.ROOT)
                    + " (account_review_status)", "wait for or appeal Meta's review of the WABA");
        }
    }

    private static String unreadable(GraphResult answer) {
        ProviderError e = answer.error();
        return e == null ? "not read" : "not read (" + e.code() + ": " + e.message() + ")";
    }

    private static String upper(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText().toUpperCase(Locale.ROOT);
    }

    private static Report report(Exchange exchange) {
        return exchange.getProperty(PROPERTY, Report.class);
    }
}
