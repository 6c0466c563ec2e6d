package dev.wabamigrator.sandbox;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything the Graph sandbox remembers (WABAs, intents, numbers, tokens) and how a call finds its scripted pattern.
 * Guarded by {@link #lock}; the resource classes read and change it under that lock.
 */
final class MetaState {

    enum WabaKind { SOURCE, INTENT_DESTINATION, BSP }

    /** Which token a call presented. */
    enum Auth { SYSTEM, BUSINESS }

    static final class Waba {
        final String id;
        final WabaKind kind;
        String linkedSource;          // destination created by an intent: its source WABA
        boolean subscribed;
        boolean explicitlySubscribed;
        final String namespace;

        Waba(String id, WabaKind kind, String namespace) {
            this.id = id;
            this.kind = kind;
            this.namespace = namespace;
        }
    }

    static final class Intent {
        final String id;
        final String sourceWaba;
        final String solutionId;
        String status = "INITIATED";
        String destinationWaba;
        int polls;

        Intent(String id, String sourceWaba, String solutionId) {
            this.id = id;
            this.sourceWaba = sourceWaba;
            this.solutionId = solutionId;
        }
    }

    static final class Phone {
        final String id;
        final String wabaId;
        final String cc;
        final String national;
        final String e164;
        String displayPhoneNumber;
        String verifiedName;
        String status;
        String codeVerificationStatus;
        boolean flowA;
        boolean source;
        String pendingCode;

        Phone(String id, String wabaId, String cc, String national) {
            this.id = id;
            this.wabaId = wabaId;
            this.cc = cc;
            this.national = national;
            this.e164 = cc + national;
        }
    }

    /** Per E.164 number: facts that follow the number across WABAs. */
    static final class NumberState {
        final List<Instant> budgetCalls = new ArrayList<>();
        Instant lockedUntil;
        String pin;                    // current two-step PIN, null = none (any PIN accepted)
        boolean twoStepDisabled;
        int failures;                  // for "N failures then normal" patterns
    }

    record Scenario(int pattern, String key) {
        static final Scenario NONE = new Scenario(0, "");
    }

    static final int DEFAULT_PAGE_SIZE = 25;
    private static final Set<Integer> PATTERNS = Set.of(1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011);
    private static final String ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    final MetaSandbox.Config config;
    final Object lock = new Object();
    final Map<String, Waba> wabas = new HashMap<>();
    final Map<String, Intent> intents = new HashMap<>();
    final Map<String, Phone> phones = new LinkedHashMap<>();
    final Map<String, NumberState> numbers = new HashMap<>();
    final Map<String, String> businessTokens = new HashMap<>();   // token -> business id
    final Map<String, String> tokenOfBusiness = new HashMap<>();  // business id -> current token
    final Set<String> expiredTokens = new HashSet<>();
    final Set<String> firedOnce = new HashSet<>();                 // "<pattern>|<key>" of the once-only patterns
    final CallCounts calls = new CallCounts();
    final MetaAccountFacts facts = new MetaAccountFacts();          // what preflight reads
    final MetaTemplates templates = new MetaTemplates(this);        // message templates per WABA
    private final AtomicLong ids = new AtomicLong(100_000_000_000_000L);
    volatile int pageSize = DEFAULT_PAGE_SIZE;
    volatile int appUsagePercent;
    /** Where accepted intents are announced as webhooks; null (the default): no webhooks. */
    volatile MetaWebhookSender webhooks;

    MetaState(MetaSandbox.Config config) {
        this.config = config;
        this.appUsagePercent = config.appUsagePercent();
    }

    /** Forgets all state and counters. */
    void clear() {
        synchronized (lock) {
            wabas.clear();
            intents.clear();
            phones.clear();
            numbers.clear();
            businessTokens.clear();
            tokenOfBusiness.clear();
            expiredTokens.clear();
            firedOnce.clear();
            facts.clear();
            templates.clear();
        }
        calls.clear();
        pageSize = DEFAULT_PAGE_SIZE;
        appUsagePercent = config.appUsagePercent();
    }

    Waba waba(String id, WabaKind kindIfNew) {
        return wabas.computeIfAbsent(id, k -> new Waba(k, kindIfNew, namespace()));
    }

    NumberState number(String e164) {
        return numbers.computeIfAbsent(e164, k -> new NumberState());
    }

    /** The seeded source number with these digits, or null. */
    Phone sourcePhone(String e164) {
        for (Phone p : phones.values()) {
            if (p.source && p.e164.equals(e164)) {
                return p;
            }
        }
        return null;
    }

    String nextId() {
        return String.valueOf(ids.incrementAndGet());
    }

    private static String namespace() {
        return random(8).toLowerCase(Locale.ROOT) + "_" + random(4).toLowerCase(Locale.ROOT);
    }

    static String random(int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(ALNUM.charAt(ThreadLocalRandom.current().nextInt(ALNUM.length())));
        }
        return sb.toString();
    }

    static String digits(String s) {
        return s == null ? "" : s.replaceAll("\\D", "");
    }

    // ---- scripted patterns: the last four digits ------------------------------------------------------------

    private static int patternOf(String digits) {
        if (digits == null || digits.length() < 4) {
            return 0;
        }
        String last = digits.substring(digits.length() - 4);
        if (!last.matches("\\d{4}")) {
            return 0;
        }
        int p = Integer.parseInt(last);
        return PATTERNS.contains(p) ? p : 0;
    }

    Scenario scenarioOfId(String id) {
        int p = patternOf(id);
        return p == 0 ? Scenario.NONE : new Scenario(p, id);
    }

    /** A WABA's scenario: its source WABA's id, else a number seeded there, else its own id. */
    Scenario scenario(Waba w) {
        if (w == null) {
            return Scenario.NONE;
        }
        Waba source = w.linkedSource != null ? wabas.getOrDefault(w.linkedSource, w) : w;
        Scenario s = scenarioOfId(source.id);
        if (s.pattern() != 0) {
            return s;
        }
        for (Phone p : phones.values()) {
            if (p.source && p.wabaId.equals(source.id) && patternOf(p.national) != 0) {
                return new Scenario(patternOf(p.national), p.e164);
            }
        }
        return source == w ? Scenario.NONE : scenarioOfId(w.id);
    }

    Scenario scenarioOfNumber(String national, String e164, Waba waba) {
        int p = patternOf(national);
        return p != 0 ? new Scenario(p, e164) : scenario(waba);
    }

    Scenario scenario(Phone p) {
        return scenarioOfNumber(p.national, p.e164, wabas.get(p.wabaId));
    }

    /** Pattern 1005: the scenario's first Graph call is rate limited, once. Null when it does not apply. */
    SandboxReply rateLimitedOnce(Scenario sc, String objectId) {
        if (sc.pattern() != 1005 || !firedOnce.add("1005|" + sc.key())) {
            return null;
        }
        return GraphErrors.rateLimited(objectId, config.rateLimitRegainMinutes());
    }

    /** An intent-created destination and its numbers answer only to a business token. Null when allowed. */
    static SandboxReply needsBusinessToken(Waba w, Auth auth) {
        if (w != null && w.kind == WabaKind.INTENT_DESTINATION && auth != Auth.BUSINESS) {
            return GraphErrors.error(403, 200, null, "OAuthException", "(#200) Permissions error", "Permissions error",
                    "The customer's WhatsApp Business Account needs the business token from system_user_access_tokens.",
                    null, null);
        }
        return null;
    }
}
