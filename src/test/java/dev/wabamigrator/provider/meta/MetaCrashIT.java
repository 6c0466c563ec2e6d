package dev.wabamigrator.provider.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.support.Closing;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.sandbox.MetaSandbox;
import dev.wabamigrator.sandbox.MetaSandboxControl;
import dev.wabamigrator.sandbox.MetaSandbox.Ops;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.ProviderCrashRun;
import dev.wabamigrator.support.ProviderCrashRun.Row;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * META_MPS and META_CLASSIC under a real crash (design §3 rules 1 and 2): the application runs as a child JVM and is
 * killed with SIGKILL while the Graph sandbox (in this JVM, so it outlives the kill and keeps its counts) holds the
 * answers of six calls (pattern 1009, applied on arrival, answered only on release): META_CLASSIC inside
 * {@code migrate-number}, {@code request-code}, {@code verify} and {@code register}, META_MPS inside
 * {@code migrate-number} and {@code register}; and while a wave of other migrations of both flows is between and
 * inside steps. A verify whose answer was lost is sent again with the same code; Meta refuses a used code (136025),
 * and the flow must read the number's {@code code_verification_status} rather than ask the customer for a new code. Every one of these calls has a reconcile route that reads Meta's state back (the destination's
 * {@code phone_numbers}, the number's {@code status}) or, for a code, waits for the one already sent, so every
 * migration must complete after the restart, none parked with {@code CALL_OUTCOME_UNKNOWN}, with migrate, register
 * and request_code each reaching Meta once per number.
 * <p>
 * The sandbox releases all held answers at once, so run 1 is sequenced: a release happens only while everything
 * held is meant to go through, and the six calls meant to be cut off arrive after the last release.
 */
class MetaCrashIT {
    private static final int BACKGROUND_PER_FLOW = 8;
    private static final Duration LATENCY = Duration.ofMillis(60);
    private static final String DESTINATION_WABA = "333000111";
    private static final String PIN = "123456";

    @TempDir
    Path tmp;

    private ProviderSandbox sandbox;
    private MetaSandboxControl meta;
    private ProviderCrashRun run;
    private int nextWaba;

    @AfterEach
    void stop() throws Exception {
        Closing.inOrder(run, sandbox);
    }

    @Test
    void should_reconcile_every_call_cut_off_by_a_kill_and_complete_both_flows() throws Exception {
        MetaSandbox graph = new MetaSandbox(MetaSandbox.Config.defaults().withLatency(LATENCY)
                .withHoldOperations(Set.of(Ops.MIGRATE, Ops.REQUEST_CODE, Ops.VERIFY_CODE, Ops.REGISTER)));
        sandbox = new ProviderSandbox(0);
        sandbox.mount(MetaSandbox.CONTEXT_PATH, graph).mount(MetaSandbox.CONTROL_CONTEXT_PATH, graph).onClose(graph);
        sandbox.start();
        meta = MetaSandboxControl.of(sandbox);
        run = new ProviderCrashRun("meta", tmp, Map.of(
                "app.provider.meta.graph-url", sandbox.baseUrl() + MetaSandbox.CONTEXT_PATH,
                "app.provider.meta.app-id", MetaSandbox.APP_ID,
                "app.provider.meta.app-secret", MetaSandbox.APP_SECRET,
                "app.provider.meta.system-user-token", MetaSandbox.SYSTEM_TOKEN,
                "app.provider.meta.acceptance.initial-interval-ms", "50",
                "app.provider.meta.acceptance.max-interval-ms", "200"));

        // migration id → E.164 digits; the held ones end in 1009
        Map<String, String> held = new LinkedHashMap<>();
        held.put("classic-migrate", "55" + "11911111009");
        held.put("classic-request-code", "55" + "11922221009");
        held.put("classic-verify", "55" + "11944441009");
        held.put("classic-register", "55" + "11933331009");
        held.put("mps-migrate", "1" + "6505511009");
        held.put("mps-register", "1" + "6505521009");
        Map<String, String> background = new LinkedHashMap<>();
        for (int i = 0; i < BACKGROUND_PER_FLOW; i++) {
            background.put("classic-bg-" + i, "55" + "1194444" + (2000 + i));
            background.put("mps-bg-" + i, "1" + "650553" + (2000 + i));
        }
        Set<String> all = new LinkedHashSet<>(held.keySet());
        all.addAll(background.keySet());

        // ---- run 1, sequenced (see the class comment) -------------------------------------------------------
        run.start();
        startClassic("classic-register", held.get("classic-register"));
        awaitRun1("classic-register holds at migrate", () -> meta.heldCount() == 1);
        meta.release();
        awaitRun1("classic-register holds at request_code",
                () -> meta.heldCount() == 1 && meta.calls(Ops.REQUEST_CODE, held.get("classic-register")) == 1);
        startClassic("classic-verify", held.get("classic-verify"));
        awaitRun1("classic-verify holds at migrate",
                () -> meta.heldCount() == 2 && meta.calls(Ops.MIGRATE, held.get("classic-verify")) == 1);
        meta.release();
        // classic-register gets its code (answered like a customer) and holds at verify_code
        awaitRun1("classic-register holds at verify_code, classic-verify at request_code", () -> meta.heldCount() == 2
                && meta.calls(Ops.VERIFY_CODE, held.get("classic-register")) == 1
                && meta.calls(Ops.REQUEST_CODE, held.get("classic-verify")) == 1);
        startClassic("classic-request-code", held.get("classic-request-code"));
        startMps("mps-register", held.get("mps-register"));
        awaitRun1("classic-request-code and mps-register hold at migrate", () -> meta.heldCount() == 4
                && meta.calls(Ops.MIGRATE, held.get("classic-request-code")) == 1
                && meta.calls(Ops.MIGRATE, held.get("mps-register")) == 1);
        meta.release(); // the last release of run 1
        awaitRun1("classic-register, mps-register hold at register, classic-verify at verify_code, "
                + "classic-request-code at request_code", () -> meta.heldCount() == 4
                        && meta.calls(Ops.REGISTER, held.get("classic-register")) == 1
                        && meta.calls(Ops.VERIFY_CODE, held.get("classic-verify")) == 1
                        && meta.calls(Ops.REGISTER, held.get("mps-register")) == 1
                        && meta.calls(Ops.REQUEST_CODE, held.get("classic-request-code")) == 1);
        startClassic("classic-migrate", held.get("classic-migrate"));
        startMps("mps-migrate", held.get("mps-migrate"));
        background.forEach((id, phone) -> {
            if (id.startsWith("classic")) {
                startClassic(id, phone);
            } else {
                startMps(id, phone);
            }
        });
        awaitRun1("six calls held, the wave under way", () -> {
            long done = background.keySet().stream().filter(run.completed()::contains).count();
            return meta.heldCount() == 6 && meta.calls(Ops.MIGRATE, held.get("classic-migrate")) == 1
                    && meta.calls(Ops.MIGRATE, held.get("mps-migrate")) == 1 && done >= background.size() / 4;
        });
        Map<String, Row> atKill = run.kill();
        meta.release(); // the answers held for the dead instance go nowhere

        Map<String, String> stepAtKill = Map.of("classic-migrate", "migrate-number",
                "classic-request-code", "request-code", "classic-verify", "verify", "classic-register", "register",
                "mps-migrate", "migrate-number", "mps-register", "register");
        // verify is safe to repeat, so nothing is in doubt; the code wait's success before it is written with verify's
        // own outcome, so its row is still at the wait
        stepAtKill.forEach((id, step) -> assertThat(atKill.get(id)).as(id)
                .isEqualTo(step.equals("verify") ? new Row("RUNNING", "await-code", null, null)
                        : new Row("RUNNING", step, step, null)));
        Map<String, Integer> boundaries = ProviderCrashRun.histogram(atKill, background.keySet());
        assertThat(boundaries.getOrDefault("COMPLETED", 0)).as("the kill landed mid-run: %s", boundaries)
                .isLessThan(background.size());
        int pendingAtKill = (int) background.keySet().stream().map(atKill::get)
                .filter(r -> r != null && r.pendingCall() != null).count();

        // ---- run 2: same database, topics and consumer group; the sandbox kept its state and counts ------------
        long restarted = System.nanoTime();
        run.start();
        await("every migration completed after the restart").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(50))
                .failFast("the restarted application JVM died on its own; see " + run.app().log(), run::appDied)
                .until(() -> {
                    assertThat(humanActions()).as("nothing parked for a person").isEmpty();
                    meta.release(); // from now on Meta answers what it holds
                    answerCodes();
                    return run.completed().containsAll(all);
                });
        assertThat(run.idsOf(ProviderCrashRun.FAILED)).isEmpty();
        assertThat(humanActions()).as("nothing parked with CALL_OUTCOME_UNKNOWN").isEmpty();

        // ---- what Meta saw: each non-idempotent call once per number ----------------------------------------
        List<String> wrong = new ArrayList<>();
        Map<String, String> every = new LinkedHashMap<>(held);
        every.putAll(background);
        every.forEach((id, phone) -> {
            boolean classic = id.startsWith("classic");
            check(wrong, id, Ops.MIGRATE, phone, 1);
            check(wrong, id, Ops.REGISTER, phone, 1);
            check(wrong, id, Ops.REQUEST_CODE, phone, classic ? 1 : 0);
            if (!wrong.isEmpty() && wrong.get(wrong.size() - 1).startsWith(id + " ")) {
                wrong.add("   " + id + " at the kill: " + atKill.get(id));
            }
        });
        assertThat(wrong).as("calls per number at the sandbox").isEmpty();
        assertThat(meta.calls(Ops.VERIFY_CODE, held.get("classic-verify"))).as("the cut-off verify sent again once")
                .isEqualTo(2);
        assertThat(run.events().all()).allSatisfy(e ->
                assertThat(MessageSchemas.shared().validateEvent(e)).as(e.toString()).isEmpty());

        for (String id : held.keySet()) {
            String phone = held.get(id);
            System.out.printf("META-CRASH %s: kill inside %s (answer held) | %s=%d %s=%d %s=%d %s=%d, reads back: %s | "
                            + "restart to completed=%d ms%s%n", id, stepAtKill.get(id), Ops.MIGRATE,
                    meta.calls(Ops.MIGRATE, phone), Ops.REQUEST_CODE, meta.calls(Ops.REQUEST_CODE, phone),
                    Ops.VERIFY_CODE, meta.calls(Ops.VERIFY_CODE, phone), Ops.REGISTER, meta.calls(Ops.REGISTER, phone),
                    readBacks(id),
                    ms(restarted, run.completedAt(id)),
                    id.startsWith("classic-register") ? "" : id.startsWith("classic") ? " (includes the customer's code)" : "");
        }
        System.out.printf("META-CRASH step boundaries: N=%d (%d META_CLASSIC, %d META_MPS) latency=%dms workers=16 | "
                        + "at the kill: %s, %d calls recorded as begun | after the restart: migrate_phone_number=1, "
                        + "register=1, request_code=1 (classic) per number, code re-requests by the customer (no code "
                        + "had arrived)=%d, restart to all completed=%d ms%n", background.size(), BACKGROUND_PER_FLOW,
                BACKGROUND_PER_FLOW, LATENCY.toMillis(), boundaries, pendingAtKill, run.resends(),
                ms(restarted, all.stream().map(run::completedAt).mapToLong(Long::longValue).max().orElseThrow()));
    }

    private void check(List<String> wrong, String id, String op, String phone, int expected) {
        int calls = meta.calls(op, phone);
        if (calls != expected) {
            wrong.add(id + " " + op + " called " + calls + "x, expected " + expected);
        }
    }

    /** The reads that reconciled the migration's cut-off call (by the ids in its completed event). */
    private String readBacks(String id) {
        JsonNode result = run.eventsOf(id).stream()
                .filter(e -> ProviderCrashRun.COMPLETED.equals(e.path("type").asText())).findFirst()
                .map(e -> e.at("/data/result")).orElseThrow();
        String destination = id.startsWith("classic") ? DESTINATION_WABA : result.path("destinationWabaId").asText();
        return Ops.LIST_NUMBERS + "(destination WABA, all its numbers)=" + meta.calls(Ops.LIST_NUMBERS, destination) + " " + Ops.GET_NUMBER
                + "=" + meta.calls(Ops.GET_NUMBER, result.path("phoneNumberId").asText());
    }

    private List<JsonNode> humanActions() {
        return run.events().ofType(ProviderCrashRun.AWAITING).stream()
                .filter(e -> "HUMAN_ACTION".equals(e.at("/data/awaiting/kind").asText())).toList();
    }

    private void startClassic(String migrationId, String e164) {
        String number = e164.substring(2);
        run.send(e164, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"META_CLASSIC",
                 "phoneNumber":{"countryCode":"55","number":"%s"},
                 "meta":{"destinationWabaId":"%s","displayPhoneNumber":"+55 %s","verifiedName":"Acme BR",
                         "codeMethod":"SMS","language":"pt_BR","pin":"%s"}}"""
                .formatted(migrationId, migrationId, number, DESTINATION_WABA, number, PIN));
    }

    /** Seeds the number in a source WABA of its own, then starts the migration. */
    private void startMps(String migrationId, String e164) {
        String number = e164.substring(1);
        String wabaId = "88000" + (100 + nextWaba++) + "7"; // last four digits: no scripted pattern
        meta.addSourceNumber(wabaId, "1", number, "Acme " + migrationId);
        run.send(e164, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"META_MPS",
                 "phoneNumber":{"countryCode":"1","number":"%s"},
                 "meta":{"sourceWabaId":"%s","businessPortfolioId":"77%s0000","displayPhoneNumber":"+1 %s",
                         "verifiedName":"Acme %s","pin":"%s"}}"""
                .formatted(migrationId, migrationId, number, wabaId, wabaId, number, migrationId, PIN));
    }

    /** The number's owner reads the code Meta sent to the number (phone number id in the wait's result). */
    private void answerCodes() {
        run.answerCodeWaits(event -> meta.verificationCode(event.at("/data/result/phoneNumberId").asText()).orElse(null));
    }

    private void awaitRun1(String what, Callable<Boolean> condition) {
        await(what).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(25))
                .failFast("the application JVM died on its own; see " + run.app().log(), run::appDied)
                .until(() -> {
                    answerCodes();
                    return condition.call();
                });
    }

    private static long ms(long from, Long to) {
        return to == null ? -1 : Duration.ofNanos(to - from).toMillis();
    }
}
