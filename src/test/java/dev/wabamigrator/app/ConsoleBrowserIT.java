package dev.wabamigrator.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.sandbox.MetaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.ChildJvm;
import dev.wabamigrator.support.Chromium;
import dev.wabamigrator.support.Closing;
import dev.wabamigrator.support.SandboxedService;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator's console as an operator uses it: a running service with migrations parked for a person, the
 * console started with {@code --console} in a JVM of its own, and headless Chromium logging in to Hawtio, opening
 * the Camel routes and a flow route's diagram. Screenshots go to target/console/. (Hawtio 4.2's Source tab loads
 * its editor from a CDN, which a machine without internet access never reaches: the route source is checked
 * through the same Jolokia dump in JolokiaSecurityIT instead.) Then the JMX tab: the Migrations MBean lists the
 * migrations waiting for a person, resumes one, and shows it completed.
 *
 * <p>The steps run in order on one browser, as one operator's visit; each leaves the page where the next starts.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserIT {
    private static final Path SCREENSHOTS = Path.of("target", "console");
    private static final Duration PAGE = Duration.ofSeconds(60);

    private static SandboxedService service;
    private static MetaSandboxControl sandbox;
    private static ChildJvm console;
    private static ChromeDriver browser;
    private static String consoleUrl;
    private static String password;

    @BeforeAll
    static void start() throws Exception {
        browser = Chromium.start(); // first: without a browser there is nothing to start the rest for
        int jolokiaPort = TestApp.freePort();
        service = SandboxedService.start(TestDatabase.h2(), Map.of(
                "app.jolokia.enabled", "true",
                "app.jolokia.port", Integer.toString(jolokiaPort),
                // the sandbox's customer accepts the MPS migration at once: look again within a second, not 30 s
                "app.provider.meta.acceptance.initial-interval-ms", "200",
                "app.provider.meta.acceptance.max-interval-ms", "500"));
        sandbox = MetaSandboxControl.of(service.app().bean("providerSandbox", ProviderSandbox.class));
        parkMigrationsForAPerson();
        password = Files.readString(service.app().dataDir().resolve(JolokiaAgent.PASSWORD_FILE)).trim();

        int consolePort = TestApp.freePort();
        console = ChildJvm.startMain(ConsoleMain.class, List.of("--console"), Map.of(
                "DATA_DIR", service.app().dataDir().toString(),
                "JOLOKIA_PORT", Integer.toString(jolokiaPort),
                "CONSOLE_PORT", Integer.toString(consolePort)), SCREENSHOTS.resolve("console.log"));
        consoleUrl = "http://127.0.0.1:" + consolePort + Console.HAWTIO_PATH + "/";
        HttpClient http = HttpClient.newHttpClient();
        Awaitility.await("the console answers at " + consoleUrl).atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> http.send(HttpRequest.newBuilder(URI.create(consoleUrl + "login")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.inOrder(() -> {
            if (browser != null) {
                browser.quit();
            }
        }, () -> {
            if (console != null) {
                console.close();
            }
        }, () -> {
            if (service != null) {
                service.close();
            }
        });
    }

    /** Two migrations waiting for a person (HUMAN_ACTION), as in the demo: a RAM policy and two-step verification. */
    private static void parkMigrationsForAPerson() {
        service.commands().send("8613900000003", """
                {"commandId":"start-m-console-denied","type":"StartMigration","migrationId":"m-console-denied",
                 "flow":"ALIBABA_CHATAPP","phoneNumber":{"countryCode":"86","number":"13900000003"},
                 "alibaba":{"custSpaceId":"cams-console","verifyMethod":"sms","locale":"en_US"}}""");
        sandbox.addSourceNumber("1000000207", "1", "6505551006", "Acme console");
        service.commands().send("16505551006", """
                {"commandId":"start-m-console-2fa","type":"StartMigration","migrationId":"m-console-2fa",
                 "flow":"META_MPS","phoneNumber":{"countryCode":"1","number":"6505551006"},
                 "meta":{"sourceWabaId":"1000000207","businessPortfolioId":"7710000002070000",
                         "displayPhoneNumber":"+1 6505551006","verifiedName":"Acme console","pin":"123456"}}""");
        for (String migrationId : List.of("m-console-denied", "m-console-2fa")) {
            JsonNode parked = service.events().await(e -> migrationId.equals(e.at("/data/migrationId").asText())
                    && "HUMAN_ACTION".equals(e.at("/data/awaiting/kind").asText()), Duration.ofSeconds(90));
            assertThat(parked.at("/data/state").asText()).isNotEmpty();
        }
    }

    @Test
    @Order(1)
    void should_let_an_operator_in_with_the_services_jolokia_password_only() throws Exception {
        // the address a person types: the console's root, which leads on to Hawtio's login
        browser.get(consoleUrl.substring(0, consoleUrl.length() - (Console.HAWTIO_PATH + "/").length()) + "/");
        new WebDriverWait(browser, PAGE).until(ExpectedConditions.urlContains(Console.HAWTIO_PATH + "/"));
        logIn("admin", password + "-wrong");
        // the refusal must be on the page before the next try: its answer re-renders the form, and a slow answer
        // arriving while the next password is typed puts the refused one back into the field
        new WebDriverWait(browser, PAGE).until(ExpectedConditions.visibilityOfElementLocated(
                By.xpath("//*[normalize-space()='Invalid login credentials']")));
        assertThat(browser.getCurrentUrl()).contains("/login");
        screenshot("login-refused");

        logIn("admin", password);

        new WebDriverWait(browser, PAGE).until(ExpectedConditions.not(ExpectedConditions.urlContains("/login")));
        screenshot("logged-in");
    }

    @Test
    @Order(2)
    void should_show_the_camel_routes_including_the_flow_routes() throws Exception {
        browser.get(consoleUrl + "camel/routes");
        selectTreeNode("routes");

        WebElement content = new WebDriverWait(browser, PAGE).until(ExpectedConditions
                .visibilityOfElementLocated(By.id("camel-content-main")));
        new WebDriverWait(browser, PAGE).until(ExpectedConditions.textToBePresentInElement(content, "meta-classic"));
        assertThat(content.getText()).contains("alibaba-chatapp", "meta-mps", "meta-classic", "run-migration");
        screenshot("routes");
    }

    @Test
    @Order(3)
    void should_draw_a_flow_route_with_its_steps_in_order() throws Exception {
        int steps = stepsOf("routes/meta-classic.camel.yaml");
        selectTreeNode("meta-classic");
        browser.findElement(By.linkText("Route Diagram")).click();

        List<WebElement> nodes = new WebDriverWait(browser, PAGE).until(driver -> {
            List<WebElement> found = driver.findElements(By.cssSelector(".react-flow__node"));
            return found.size() >= 1 + steps ? found : null;
        });
        // from, then the steps top to bottom, as in routes/meta-classic.camel.yaml. Hawtio cuts each label
        // at 17 characters ("To direct:meta-cl..."); which step is which, in order, JolokiaSecurityIT reads from
        // the same dumpRoutesAsXml() this diagram is drawn from
        List<String> labels = nodes.stream().sorted(Comparator.comparingInt(node -> node.getLocation().getY()))
                .map(WebElement::getText).map(label -> label.replaceAll("\\s+", " ").strip()).toList();
        assertThat(labels).hasSize(1 + steps);
        assertThat(labels.get(0)).contains("From direct:meta-");
        assertThat(labels.subList(1, 1 + steps)).allSatisfy(label -> assertThat(label).contains("To direct:meta-cl"));
        screenshot("meta-classic-diagram"); // docs/console.png is a copy of it

    }

    /** How many steps (`- to: direct:…`) a flow route file lists, so the diagram is checked against the file. */
    private static int stepsOf(String routeFile) throws java.io.IOException {
        try (var in = ConsoleBrowserIT.class.getClassLoader().getResourceAsStream(routeFile)) {
            String yaml = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            return (int) yaml.lines().filter(line -> line.strip().startsWith("- to: direct:")).count();
        }
    }

    @Test
    @Order(4)
    void should_list_the_migrations_waiting_for_a_person_in_the_migrations_mbean() throws Exception {
        openMigrationsMBean();

        String answer = runOperation("list(", "HUMAN_ACTION", "", "", "20");

        assertThat(answer).contains("m-console-denied", "m-console-2fa", "HUMAN_ACTION");
        screenshot("migrations-list-human-action");
    }

    @Test
    @Order(5)
    void should_resume_a_migration_from_the_migrations_mbean_and_see_it_complete() throws Exception {
        // the customer turned two-step verification off: the person who was asked resumes the migration
        sandbox.disableTwoStep("16505551006");

        String answer = runOperation("resume(", "m-console-2fa", "two-step verification is off now");

        assertThat(answer).contains("APPLIED");
        service.events().awaitType("m-console-2fa", "waba.migration.completed");
        assertThat(runOperation("show(", "m-console-2fa")).contains("COMPLETED");
        screenshot("migration-completed");
    }

    /** The JMX tab, the MBean waba-migrator:type=Migrations, its operations. */
    private static void openMigrationsMBean() {
        browser.get(consoleUrl + "jmx/operations");
        selectTreeNode("jmx-tree-view", "Migrations");
        browser.findElement(By.linkText("Operations")).click();
    }

    /**
     * Opens the operation whose name starts with {@code operation} (e.g. "list("), types the arguments in order,
     * executes it and returns the answer Hawtio shows.
     */
    private static String runOperation(String operation, String... arguments) throws Exception {
        By row = By.xpath("//*[@id='jmx-operation-list']/li[starts-with(@aria-labelledby,'operation " + operation
                + "')]");
        try {
            WebElement item = new WebDriverWait(browser, PAGE).until(ExpectedConditions.presenceOfElementLocated(row));
            if (!"true".equals(item.findElement(By.tagName("button")).getAttribute("aria-expanded"))) {
                item.findElement(By.tagName("button")).click();
            }
            List<WebElement> inputs = new WebDriverWait(browser, PAGE).until(driver -> {
                List<WebElement> found = item.findElements(By.cssSelector("form input"));
                return found.size() == arguments.length && found.get(0).isDisplayed() ? found : null;
            });
            for (int i = 0; i < arguments.length; i++) {
                inputs.get(i).sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
                inputs.get(i).sendKeys(arguments[i]);
            }
            String before = resultText(item);
            item.findElement(By.xpath(".//button[normalize-space()='Execute']")).click();
            return new WebDriverWait(browser, PAGE).until(driver -> {
                String now = resultText(item);
                return !now.isBlank() && !now.equals(before) ? now : null;
            });
        } catch (RuntimeException e) {
            screenshot("failed-operation-" + operation.replace("(", ""));
            throw e;
        }
    }

    private static String resultText(WebElement item) {
        return item.findElements(By.cssSelector("[id^='operation-result-']")).stream().map(WebElement::getText)
                .findFirst().orElse("");
    }

    private static void logIn(String user, String secret) {
        WebElement name = new WebDriverWait(browser, PAGE).until(ExpectedConditions
                .visibilityOfElementLocated(By.id("pf-login-username-id")));
        name.clear();
        name.sendKeys(user);
        WebElement field = browser.findElement(By.id("pf-login-password-id"));
        field.clear();
        field.sendKeys(secret);
        browser.findElement(By.cssSelector("button[type=submit]")).click();
    }

    private static void selectTreeNode(String name) {
        selectTreeNode("camel-tree-view", name);
    }

    /** Types the name into the tree's search and clicks the node of that name. */
    private static void selectTreeNode(String tree, String name) {
        WebElement search = new WebDriverWait(browser, PAGE).until(ExpectedConditions
                .visibilityOfElementLocated(By.cssSelector("#" + tree + " input")));
        search.clear();
        search.sendKeys(name);
        By node = By.xpath("//*[@id='" + tree + "']//*[contains(@class,'tree-view__node-text')"
                + " and normalize-space()='" + name + "']");
        try {
            new WebDriverWait(browser, PAGE).until(ExpectedConditions.elementToBeClickable(node)).click();
        } catch (RuntimeException e) {
            try {
                screenshot("failed-tree-" + name);
            } catch (Exception ignored) {
                // the failure below says what went wrong
            }
            throw e;
        }
    }

    private static void screenshot(String name) throws Exception {
        Files.createDirectories(SCREENSHOTS);
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), SCREENSHOTS.resolve(name + ".png"),
                StandardCopyOption.REPLACE_EXISTING);
    }

    /** The console's process: {@code --console} as an operator starts it, halted if this test JVM dies. */
    public static final class ConsoleMain {
        private ConsoleMain() {
        }

        public static void main(String[] args) throws Exception {
            ChildJvm.haltWithParent();
            Application.main(args);
        }
    }
}
