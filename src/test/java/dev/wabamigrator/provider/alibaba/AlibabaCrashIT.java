package dev.wabamigrator.provider.alibaba;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.wabamigrator.support.Closing;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.sandbox.AlibabaSandbox;
import dev.wabamigrator.sandbox.AlibabaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.ProviderCrashRun;
import dev.wabamigrator.support.ProviderCrashRun.Row;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ALIBABA_CHATAPP under a real crash (design §3 rules 1 and 2): the application runs as a child JVM and is killed
 * with SIGKILL; the cams sandbox runs in this JVM, so it outlives the kill and counts every call the provider saw.
 * One run covers three cases at once:
 * <ol>
 *   <li>(a) killed while the sandbox holds the answer of {@code ChatappMigrationRegister} (pattern 0009): after the
 *       restart {@code alibaba-chatapp-register-reconcile} reads {@code QueryChatappPhoneNumbers}, finds the number
 *       CONNECTED and completes without a second register;</li>
 *   <li>(b) killed while the sandbox holds the answer of {@code GetMigrationVerifyCode}: after the restart the
 *       migration waits for the code already sent (no second code request); the customer submits it;</li>
 *   <li>(c) step boundaries: {@value #BACKGROUND} migrations against a sandbox with latency, killed while many
 *       are in flight at every step; all complete after the restart, with at most one code request and exactly one
 *       register per number.</li>
 * </ol>
 */
class AlibabaCrashIT {
    private static final int BACKGROUND = 30;
    private static final Duration LATENCY = Duration.ofMillis(80);
    private static final String CUST_SPACE = "cams-crash";
    private static final String REQUEST_CODE = "GetMigrationVerifyCode";
    private static final String REGISTER = "ChatappMigrationRegister";
    private static final String QUERY = "QueryChatappPhoneNumbers";

    @TempDir
    Path tmp;

    private ProviderSandbox sandbox;
    private AlibabaSandboxControl cams;
    private ProviderCrashRun run;

    @AfterEach
    void stop() throws Exception {
        Closing.inOrder(run, sandbox);
    }

    @Test
    void should_complete_after_kills_inside_register_inside_request_code_and_at_step_boundaries() throws Exception {
        sandbox = new ProviderSandbox(0);
        AlibabaSandbox alibaba = AlibabaSandbox.builder()
                .holdOperations(List.of(CamsOperation.GET_MIGRATION_VERIFY_CODE, CamsOperation.CHATAPP_MIGRATION_REGISTER))
                .maxRequestsPerSecond(0) // this test is about crashes, not the rate limit
                .latency(LATENCY)
                .build().mountOn(sandbox);
        sandbox.start();
        cams = AlibabaSandboxControl.of(sandbox);
        run = new ProviderCrashRun("alibaba", tmp, Map.of(
                "app.provider.alibaba.endpoint", alibaba.camsEndpoint(),
                "app.provider.alibaba.access-key-id", AlibabaSandbox.DEFAULT_ACCESS_KEY_ID,
                "app.provider.alibaba.access-key-secret", AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET,
                "app.provider.alibaba.max-calls-per-second", "200"));

        String heldRegister = "13900010009";   // (a)
        String heldCodeRequest = "13800020009"; // (b)
        String phoneA = "86" + heldRegister;
        String phoneB = "86" + heldCodeRequest;
        List<String> background = new ArrayList<>();
        for (int i = 0; i < BACKGROUND; i++) {
            background.add("ali-bg-" + i);
        }
        Set<String> all = new LinkedHashSet<>(List.of("ali-register", "ali-request-code"));
        all.addAll(background);

        // ---- run 1 ---------------------------------------------------------------------------------------------
        run.start();
        // (a) its code request is held too: let that one through, answer the code, and hold the register
        start("ali-register", heldRegister);
        awaitRun1("the code request of (a) is held", () -> cams.heldCount() == 1);
        cams.release(phoneA);
        awaitRun1("(a) holds at register", () -> cams.heldCount() == 1 && cams.calls(REGISTER, phoneA) == 1);
        // (b) the code request is processed (a code is on its way) and its answer held
        start("ali-request-code", heldCodeRequest);
        awaitRun1("(b) holds at request-code", () -> cams.heldCount() == 2 && cams.calls(REQUEST_CODE, phoneB) == 1);
        // (c) a wave of migrations, killed while many are between and inside steps
        for (int i = 0; i < BACKGROUND; i++) {
            start(background.get(i), backgroundNumber(i));
        }
        awaitRun1("(c) a quarter done, the rest in flight", () -> {
            long done = background.stream().filter(run.completed()::contains).count();
            return done >= BACKGROUND / 4 && done < BACKGROUND;
        });
        Map<String, Row> atKill = run.kill();
        cams.release(); // the answers held for the dead instance go nowhere

        assertThat(atKill.get("ali-register")).isEqualTo(new Row("RUNNING", "register", "register", null));
        assertThat(atKill.get("ali-request-code")).isEqualTo(new Row("RUNNING", "request-code", "request-code", null));
        Map<String, Integer> boundaries = ProviderCrashRun.histogram(atKill, Set.copyOf(background));
        assertThat(boundaries.getOrDefault("COMPLETED", 0)).as("the kill landed mid-run: %s", boundaries)
                .isLessThan(BACKGROUND);
        int pendingAtKill = (int) background.stream().map(atKill::get)
                .filter(r -> r != null && r.pendingCall() != null).count();

        // ---- run 2: same database, topics and consumer group; the sandbox kept its state and counts ------------
        long restarted = System.nanoTime();
        run.start();
        await("every migration completed after the restart").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(50))
                .failFast("the restarted application JVM died on its own; see " + run.app().log(), run::appDied)
                .until(() -> {
                    cams.release(); // from now on the provider answers what it holds
                    answerCodes();
                    return run.completed().containsAll(all);
                });
        assertThat(run.idsOf(ProviderCrashRun.FAILED)).isEmpty();

        // ---- what the provider saw --------------------------------------------------------------------------
        assertThat(cams.calls(REGISTER, phoneA)).as("(a) register reconciled, not repeated").isEqualTo(1);
        assertThat(cams.calls(QUERY)).as("(a) the register's effect was read back").isPositive();
        assertThat(cams.calls(REQUEST_CODE, phoneA)).isEqualTo(1);
        assertThat(cams.calls(REQUEST_CODE, phoneB)).as("(b) no second code request").isEqualTo(1);
        assertThat(cams.calls(REGISTER, phoneB)).isEqualTo(1);
        assertThat(run.eventsOf("ali-request-code")).filteredOn(e -> ProviderCrashRun.AWAITING.equals(e.path("type").asText()))
                .as("(b) waits for the code after the restart, saying only what is known")
                .anySatisfy(e -> assertThat(e.at("/data/awaiting/reason").asText()).contains("may have been sent"));
        List<String> wrong = new ArrayList<>();
        int maxCodeRequests = 0;
        for (int i = 0; i < BACKGROUND; i++) {
            String phone = "86" + backgroundNumber(i);
            int codes = cams.calls(REQUEST_CODE, phone);
            int registers = cams.calls(REGISTER, phone);
            maxCodeRequests = Math.max(maxCodeRequests, codes);
            if (codes > 1 || registers != 1) {
                wrong.add(background.get(i) + ": " + REQUEST_CODE + "=" + codes + ", " + REGISTER + "=" + registers
                        + " (at the kill: " + atKill.get(background.get(i)) + ")");
            }
        }
        assertThat(wrong).as("calls per number at the sandbox").isEmpty();
        assertThat(run.events().all()).allSatisfy(e ->
                assertThat(MessageSchemas.shared().validateEvent(e)).as(e.toString()).isEmpty());

        long restartToAll = ms(restarted, background.stream().mapToLong(run::completedAt).max().orElseThrow());
        System.out.printf("ALIBABA-CRASH (a) kill inside register (answer held): %s=%d %s=%d %s=%d, "
                        + "restart to completed=%d ms%n", REQUEST_CODE, cams.calls(REQUEST_CODE, phoneA), REGISTER,
                cams.calls(REGISTER, phoneA), QUERY + "(all numbers)", cams.calls(QUERY),
                ms(restarted, run.completedAt("ali-register")));
        System.out.printf("ALIBABA-CRASH (b) kill inside request-code (answer held): %s=%d %s=%d, waited for the code "
                        + "already sent, restart to completed=%d ms (includes the customer's code)%n", REQUEST_CODE,
                cams.calls(REQUEST_CODE, phoneB), REGISTER, cams.calls(REGISTER, phoneB),
                ms(restarted, run.completedAt("ali-request-code")));
        System.out.printf("ALIBABA-CRASH (c) step boundaries: N=%d latency=%dms workers=16 | at the kill: %s, "
                        + "%d calls recorded as begun | after the restart: %s<=%d per number (max %d), %s=1 per "
                        + "number, code re-requests by the customer (no code had arrived)=%d, restart to all "
                        + "completed=%d ms%n", BACKGROUND, LATENCY.toMillis(), boundaries, pendingAtKill, REQUEST_CODE,
                1, maxCodeRequests, REGISTER, run.resends(), restartToAll);
    }

    private static String backgroundNumber(int i) {
        return "137000" + (11100 + i); // last four 1100..: no scripted pattern
    }

    private void start(String migrationId, String number) {
        run.send("86" + number, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"ALIBABA_CHATAPP",
                 "phoneNumber":{"countryCode":"86","number":"%s"},
                 "alibaba":{"custSpaceId":"%s","verifyMethod":"sms","locale":"en_US"}}"""
                .formatted(migrationId, migrationId, number, CUST_SPACE));
    }

    /** The number's owner reads the SMS (the sandbox's last code) and submits it. */
    private void answerCodes() {
        run.answerCodeWaits(event -> cams.code(event.at("/data/phoneNumber/countryCode").asText()
                + event.at("/data/phoneNumber/number").asText()).orElse(null));
    }

    private void awaitRun1(String what, java.util.concurrent.Callable<Boolean> condition) {
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
