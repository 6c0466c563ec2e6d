package dev.wabamigrator.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.sandbox.AlibabaSandbox;
import dev.wabamigrator.sandbox.MetaSandbox;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jolokia as a local process sees it: nothing without the password, and with it only what the allow-list
 * (jolokia-access.xml) grants: reads for Hawtio, the route dumps of its diagrams (placeholders unresolved) and
 * route start/stop, never code execution or a heap dump.
 * Jolokia answers a refused request with HTTP 200 and {"status":403,"error":"... Operation dumpHeap forbidden for
 * MBean ..."} in the body (its JSON protocol carries the status of each request, as in a bulk request); a wrong or
 * missing password gets HTTP 401 before any of that.
 */
class JolokiaSecurityIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestApp app;
    private static int jolokiaPort;
    private static int managementPort;
    private static String password;
    private static String startLogs;
    private static String context;

    @BeforeAll
    static void start() throws Exception {
        Map<String, String> properties = TestApp.defaults(TestDatabase.h2(), TestApp.uniqueSuffix(), null);
        jolokiaPort = TestApp.freePort();
        managementPort = TestApp.freePort();
        properties.put("app.jolokia.enabled", "true");
        properties.put("app.jolokia.port", Integer.toString(jolokiaPort));
        properties.put("camel.management.enabled", "true");
        properties.put("app.management.port", Integer.toString(managementPort));
        // no app.jolokia.user / password and no app.jolokia.host / app.management.host: the defaults are under test
        PrintStream originalErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new TeeStream(originalErr, captured), true, StandardCharsets.UTF_8));
        try {
            app = TestApp.start(properties);
        } finally {
            System.setErr(originalErr);
        }
        startLogs = captured.toString(StandardCharsets.UTF_8);
        password = Files.readString(passwordFile()).trim();
        context = ManagementFactory.getPlatformMBeanServer().queryNames(new ObjectName(
                "org.apache.camel:context=" + app.context().getManagementName() + ",type=context,*"), null)
                .iterator().next().toString();
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    private static Path passwordFile() {
        return app.dataDir().resolve("jolokia.password");
    }

    private static HttpResponse<String> post(String body, String user, String secret) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + jolokiaPort + "/jolokia"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        if (user != null) {
            request.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8)));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode asAdmin(Map<String, Object> request) throws Exception {
        HttpResponse<String> response = post(JSON.writeValueAsString(request), "admin", password);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static JsonNode exec(String mbean, String operation, Object... arguments) throws Exception {
        return asAdmin(Map.of("type", "exec", "mbean", mbean, "operation", operation, "arguments", arguments));
    }

    private static void assertRefused(JsonNode answer) {
        assertThat(answer.path("status").asInt()).as(answer.toString()).isEqualTo(403);
        assertThat(answer.path("error").asText()).as(answer.toString()).containsPattern("forbidden|not allowed");
        assertThat(answer.has("value")).as("no result").isFalse();
    }

    private static String routeMBean(String routeId) throws Exception {
        return ManagementFactory.getPlatformMBeanServer().queryNames(new ObjectName("org.apache.camel:context="
                + app.context().getManagementName() + ",type=routes,name=\"" + routeId + "\""), null)
                .iterator().next().toString();
    }

    private static String routeState(String routeId) throws Exception {
        JsonNode answer = asAdmin(Map.of("type", "read", "mbean", routeMBean(routeId), "attribute", "State"));
        assertThat(answer.path("status").asInt()).as(answer.toString()).isEqualTo(200);
        return answer.path("value").asText();
    }

    @Test
    void should_refuse_callers_without_the_password() throws Exception {
        String readRoutes = "{\"type\":\"search\",\"mbean\":\"org.apache.camel:type=routes,*\"}";

        HttpResponse<String> anonymous = post(readRoutes, null, null);
        HttpResponse<String> wrongPassword = post(readRoutes, "admin", password + "x");
        HttpResponse<String> anonymousGet = HTTP.send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + jolokiaPort + "/jolokia/version")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                value -> assertThat(value).startsWith("Basic"));
        assertThat(anonymous.body()).doesNotContain("run-migration");
        assertThat(wrongPassword.statusCode()).isEqualTo(401);
        assertThat(anonymousGet.statusCode()).isEqualTo(401);
    }

    @Test
    void should_generate_an_owner_only_password_file_and_log_where_it_is_but_never_the_password() throws Exception {
        assertThat(Files.getPosixFilePermissions(passwordFile())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(password).hasSizeGreaterThanOrEqualTo(40);
        assertThat(startLogs).contains(passwordFile().toAbsolutePath().toString()).doesNotContain(password);
        JsonNode version = asAdmin(Map.of("type", "version"));
        assertThat(version.path("status").asInt()).isEqualTo(200);
        assertThat(version.toString()).doesNotContain(password);
        JsonNode everythingCamel = asAdmin(Map.of("type", "read", "mbean", "org.apache.camel:*",
                "config", Map.of("ignoreErrors", true)));
        assertThat(everythingCamel.path("status").asInt()).isEqualTo(200);
        assertThat(everythingCamel.toString()).contains("run-migration").doesNotContain(password);
    }

    @Test
    void should_accept_the_password_in_the_header_hawtio_proxy_sends() throws Exception {
        // Hawtio's proxy keeps Authorization for its own login and passes the agent's credentials in this header
        HttpResponse<String> viaProxyHeader = HTTP.send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + jolokiaPort + "/jolokia"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"search\",\"mbean\":\"org.apache.camel:type=routes,*\"}"))
                .header("Content-Type", "application/json")
                .header("X-Jolokia-Authorization", "Basic " + Base64.getEncoder()
                        .encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8))).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(viaProxyHeader.statusCode()).isEqualTo(200);
        assertThat(viaProxyHeader.body()).contains("run-migration");
    }

    @Test
    void should_let_hawtio_read_the_camel_routes() throws Exception {
        JsonNode search = asAdmin(Map.of("type", "search", "mbean", "org.apache.camel:type=routes,*"));
        JsonNode read = asAdmin(Map.of("type", "read", "mbean", "org.apache.camel:type=routes,*", "attribute", "RouteId"));
        JsonNode list = asAdmin(Map.of("type", "list", "path", "org.apache.camel"));

        assertThat(search.path("status").asInt()).isEqualTo(200);
        assertThat(search.path("value").toString()).contains("run-migration").contains("intake-migration-commands");
        assertThat(read.path("status").asInt()).isEqualTo(200);
        assertThat(read.path("value").findValuesAsText("RouteId")).contains("run-migration", "outbox-publish-events");
        assertThat(list.path("status").asInt()).isEqualTo(200);
        assertThat(routeState("run-migration")).isEqualTo("Started");
    }

    @Test
    void should_let_hawtio_dump_the_routes_as_written_for_its_diagrams_and_never_a_secret() throws Exception {
        JsonNode routes = exec(context, "dumpRoutesAsXml()");

        assertThat(routes.path("status").asInt()).as(routes.toString()).isEqualTo(200);
        String xml = routes.path("value").asText();
        // a flow route with its steps in order, as in routes/meta-classic.camel.yaml
        assertThat(xml).containsSubsequence("id=\"meta-classic\"", "direct:meta-classic-migrate-number",
                "direct:meta-classic-request-code", "direct:meta-classic-await-code", "direct:meta-classic-verify",
                "direct:meta-classic-register");
        // placeholders stay unresolved: no value of the environment or the sandbox reaches the dump
        assertThat(xml).contains("{{app.provider.meta.graph-url}}", "{{app.provider.alibaba.endpoint}}");
        assertNoSecretIn(xml);
    }

    @Test
    void should_let_hawtio_read_route_statistics_for_its_diagrams() throws Exception {
        JsonNode all = exec(context, "dumpRoutesStatsAsXml", true, true);
        JsonNode one = exec(routeMBean("meta-classic"), "dumpRouteStatsAsXml(boolean,boolean)", true, true);

        assertThat(all.path("status").asInt()).as(all.toString()).isEqualTo(200);
        assertThat(all.path("value").asText()).contains("id=\"meta-classic\"", "processorStat");
        assertNoSecretIn(all.path("value").asText());
        assertThat(one.path("status").asInt()).as(one.toString()).isEqualTo(200);
        assertThat(one.path("value").asText()).contains("id=\"meta-classic\"");
    }

    @Test
    void should_refuse_route_dumps_that_resolve_placeholders() throws Exception {
        assertRefused(exec(context, "dumpRoutesAsXml(boolean)", true));
        assertRefused(exec(context, "dumpRoutesAsXml(boolean,boolean)", true, false));
        assertRefused(exec(context, "dumpRoutesAsYaml(boolean)", true));
        assertRefused(exec(context, "dumpStepStatsAsXml", true));
        assertRefused(exec(routeMBean("meta-classic"), "dumpRouteAsXml(boolean)", true));
        assertRefused(exec(routeMBean("meta-classic"), "dumpRouteAsXml()"));
    }

    /** The secrets this service knows in this test: Jolokia's password, the secrets key, the sandbox's credentials. */
    private static void assertNoSecretIn(String text) {
        assertThat(text).doesNotContain(password, app.property("app.secrets.key"), MetaSandbox.SYSTEM_TOKEN,
                MetaSandbox.APP_SECRET, AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET);
    }

    @Test
    void should_let_an_operator_stop_start_suspend_and_resume_a_route() throws Exception {
        String route = routeMBean("refresh-migration-metrics");

        assertThat(exec(route, "stop()").path("status").asInt()).isEqualTo(200);
        assertThat(routeState("refresh-migration-metrics")).isEqualTo("Stopped");
        assertThat(exec(route, "start").path("status").asInt()).isEqualTo(200);
        assertThat(routeState("refresh-migration-metrics")).isEqualTo("Started");
        assertThat(exec(route, "suspend()").path("status").asInt()).isEqualTo(200);
        assertThat(routeState("refresh-migration-metrics")).isEqualTo("Suspended");
        assertThat(exec(route, "resume").path("status").asInt()).isEqualTo(200);
        assertThat(routeState("refresh-migration-metrics")).isEqualTo("Started");
    }

    @Test
    void should_let_an_operator_start_the_route_controller() throws Exception {
        String controller = ManagementFactory.getPlatformMBeanServer().queryNames(new ObjectName("org.apache.camel:context="
                + app.context().getManagementName() + ",type=services,name=*RouteController"), null)
                .iterator().next().toString();

        JsonNode answer = exec(controller, "start"); // already started: a no-op, but one the policy lets through

        assertThat(answer.path("status").asInt()).as(answer.toString()).isEqualTo(200);
        assertThat(routeState("run-migration")).isEqualTo("Started");
    }

    @Test
    void should_refuse_operations_that_send_messages_or_create_endpoints() throws Exception {
        assertRefused(exec(context, "sendBody", "seda:jolokia-send", "probe"));
        assertRefused(exec(context, "requestBody", "seda:jolokia-request", "probe"));
        assertRefused(exec(context, "createEndpoint", "seda:jolokia-create"));
        assertRefused(exec(context, "addOrUpdateRoutesFromXml(java.lang.String)",
                "<routes><route id=\"jolokia-added\"><from uri=\"seda:in\"/><to uri=\"log:out\"/></route></routes>"));

        assertThat(app.context().getEndpoints()).noneMatch(endpoint -> endpoint.getEndpointUri().contains("jolokia-"));
        assertThat(app.context().getRoute("jolokia-added")).isNull();
    }

    @Test
    void should_refuse_route_replacement_and_removal() throws Exception {
        String route = routeMBean("refresh-migration-metrics");

        assertRefused(exec(route, "updateRouteFromXml", "<route id=\"refresh-migration-metrics\"><from uri=\"seda:x\"/></route>"));
        assertRefused(exec(route, "remove"));

        assertThat(app.context().getRoute("refresh-migration-metrics")).isNotNull();
    }

    @Test
    void should_refuse_heap_dumps_and_diagnostic_commands(@TempDir Path dir) throws Exception {
        Path heap = dir.resolve("heap.hprof");

        assertRefused(exec("com.sun.management:type=HotSpotDiagnostic", "dumpHeap", heap.toString(), true));
        assertRefused(exec("com.sun.management:type=DiagnosticCommand", "vmSystemProperties"));

        assertThat(heap).doesNotExist();
    }

    @Test
    void should_refuse_writes_to_camel_attributes_and_reading_jvm_arguments() throws Exception {
        assertRefused(asAdmin(Map.of("type", "write", "mbean", context, "attribute", "Tracing", "value", true)));
        assertRefused(asAdmin(Map.of("type", "read", "mbean", "java.lang:type=Runtime", "attribute", "SystemProperties")));

        assertThat(app.context().isTracing()).isFalse();
    }

    @Test
    void should_allow_the_operations_of_this_service_own_mbeans() throws Exception {
        ObjectName name = new ObjectName("waba-migrator:type=probe,name=" + TestApp.uniqueSuffix());
        ManagementFactory.getPlatformMBeanServer().registerMBean(new StandardMBean(new Probe(), ProbeMBean.class), name);
        try {
            JsonNode answer = exec(name.toString(), "ping", "hello");

            assertThat(answer.path("status").asInt()).as(answer.toString()).isEqualTo(200);
            assertThat(answer.path("value").asText()).isEqualTo("pong hello");
        } finally {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(name);
        }
    }

    @Test
    void should_serve_health_on_loopback_only_by_default() throws Exception {
        HttpResponse<String> loopback = HTTP.send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + managementPort + "/observe/health")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(loopback.statusCode()).isEqualTo(200);
        // 127.0.0.2 is this machine too, but not the address the server is bound to: bound to 0.0.0.0, it would answer
        assertThatThrownBy(() -> HTTP.send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.2:" + managementPort + "/observe/health")).build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(ConnectException.class);
        assertThatThrownBy(() -> HTTP.send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.2:" + jolokiaPort + "/jolokia")).build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void should_refuse_to_start_jolokia_on_a_non_loopback_host_without_configured_credentials() throws Exception {
        Map<String, String> properties = TestApp.defaults(TestDatabase.h2(), TestApp.uniqueSuffix(), null);
        int port = TestApp.freePort();
        properties.put("app.jolokia.enabled", "true");
        properties.put("app.jolokia.port", Integer.toString(port));
        properties.put("app.jolokia.host", "0.0.0.0");

        assertThatThrownBy(() -> TestApp.start(properties).close())
                .rootCause().hasMessageContaining("JOLOKIA_PASSWORD").hasMessageContaining("0.0.0.0");
        assertThatThrownBy(() -> HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/jolokia"))
                .build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(ConnectException.class);
        assertThat(Path.of(properties.get("app.data-dir")).resolve("jolokia.password")).doesNotExist();
    }

    @Test
    void should_refuse_to_start_jolokia_without_its_access_policy() throws Exception {
        Map<String, String> properties = TestApp.defaults(TestDatabase.h2(), TestApp.uniqueSuffix(), null);
        properties.put("app.jolokia.enabled", "true");
        properties.put("app.jolokia.port", Integer.toString(TestApp.freePort()));
        properties.put("app.jolokia.policy", "classpath:/no-such-jolokia-access.xml");

        assertThatThrownBy(() -> TestApp.start(properties).close())
                .rootCause().hasMessageContaining("no-such-jolokia-access.xml");
    }

    public interface ProbeMBean {
        String ping(String text);
    }

    /** Stands in for the service's own operations MBeans (domain waba-migrator). */
    public static final class Probe implements ProbeMBean {
        @Override
        public String ping(String text) {
            return "pong " + text;
        }
    }

    /** Copies everything written to two streams. */
    private static final class TeeStream extends OutputStream {
        private final OutputStream first;
        private final OutputStream second;

        TeeStream(OutputStream first, OutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            first.write(b);
            second.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            first.write(b, off, len);
            second.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            first.flush();
            second.flush();
        }
    }
}
