package dev.wabamigrator.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MessageSchemasTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ASYNCAPI = Path.of("docs/asyncapi.yaml");
    private static final Path SCHEMA_DIR = Path.of("src/main/resources/schemas");
    private static final String SCHEMA_REF_PREFIX = "../src/main/resources/schemas/";
    private static final String SECRET_VIOLATION = "name is not valid: must not name a secret; secrets never travel in events";

    /** The command examples of design.md §2, verbatim. */
    private static final List<String> DESIGN_COMMAND_EXAMPLES = List.of(
            """
            {"commandId":"c-1","type":"StartMigration","migrationId":"m-1","flow":"ALIBABA_CHATAPP",
             "phoneNumber":{"countryCode":"86","number":"13900001234"},
             "alibaba":{"custSpaceId":"cams-abc","verifyMethod":"sms","locale":"en_US"}}""",
            """
            {"commandId":"c-2","type":"StartMigration","migrationId":"m-2","flow":"META_MPS",
             "phoneNumber":{"countryCode":"1","number":"6505551234"},
             "meta":{"sourceWabaId":"111","businessPortfolioId":"222","displayPhoneNumber":"+1 650-555-1234",
                     "verifiedName":"Acme","pin":"123456"}}""",
            """
            {"commandId":"c-7","type":"StartMigration","migrationId":"m-3","flow":"META_CLASSIC",
             "phoneNumber":{"countryCode":"55","number":"11987654321"},
             "meta":{"destinationWabaId":"333","displayPhoneNumber":"+55 11 98765-4321","verifiedName":"Acme BR",
                     "codeMethod":"SMS","language":"pt_BR","pin":"654321"}}""",
            """
            {"commandId":"c-3","type":"SubmitVerificationCode","migrationId":"m-1","code":"123456"}""",
            """
            {"commandId":"c-4","type":"ResendVerificationCode","migrationId":"m-1"}""",
            """
            {"commandId":"c-5","type":"CancelMigration","migrationId":"m-1"}""",
            """
            {"commandId":"c-6","type":"ResumeMigration","migrationId":"m-1"}""");

    private static MessageSchemas schemas;
    private static JsonNode asyncApi;

    @BeforeAll
    static void load() throws IOException {
        schemas = MessageSchemas.shared();
        asyncApi = new ObjectMapper(new YAMLFactory()).readTree(ASYNCAPI.toFile());
    }

    // ------------------------------------------------------------------ asyncapi.yaml examples

    @Test
    void should_validate_every_command_example_in_asyncapi() {
        List<Example> examples = examples("commands");
        assertThat(examples).hasSizeGreaterThanOrEqualTo(7);
        SoftAssertions softly = new SoftAssertions(); // report every bad example, not just the first
        for (Example example : examples) {
            String type = example.payload().path("type").asText();
            softly.assertThat(MessageSchemas.commandSchemaFile(type)).as(example.label() + " schema").isEqualTo(example.schemaFile());
            if (schemas.isKnownCommandType(type)) {
                softly.assertThat(schemas.validateCommand(type, example.payload())).as(example.label()).isEmpty();
            }
        }
        softly.assertAll();
    }

    @Test
    void should_validate_every_event_example_in_asyncapi() {
        List<Example> examples = examples("events");
        assertThat(examples).hasSizeGreaterThanOrEqualTo(8);
        SoftAssertions softly = new SoftAssertions();
        for (Example example : examples) {
            String type = example.payload().path("type").asText();
            softly.assertThat(MessageSchemas.eventSchemaFile(type)).as(example.label() + " schema").isEqualTo(example.schemaFile());
            softly.assertThat(schemas.validateEvent(example.payload())).as(example.label()).isEmpty();
            softly.assertThat(example.headers().path("content-type").asText()).as(example.label() + " content-type header")
                    .isEqualTo("application/cloudevents+json");
        }
        softly.assertAll();
    }

    @Test
    void should_have_at_least_one_example_for_every_message_in_asyncapi() {
        JsonNode messages = asyncApi.path("components").path("messages");
        assertThat(messages.size()).isEqualTo(6 + 13 + 1 + 1); // commands, events, dead letter, Meta webhook
        messages.fields().forEachRemaining(message ->
                assertThat(message.getValue().path("examples").size()).as(message.getKey()).isPositive());
        Set<String> exampleCommandTypes = examples("commands").stream()
                .map(example -> example.payload().path("type").asText()).collect(Collectors.toSet());
        Set<String> exampleEventTypes = examples("events").stream()
                .map(example -> example.payload().path("type").asText()).collect(Collectors.toSet());
        assertThat(exampleCommandTypes).containsExactlyInAnyOrderElementsOf(schemas.commandTypes());
        assertThat(exampleEventTypes).containsExactlyInAnyOrderElementsOf(schemas.eventTypes());
        assertThat(schemas.eventTypes()).containsExactlyElementsOf(EventTypes.ALL);
    }

    @Test
    void should_carry_the_design_command_examples_verbatim_in_asyncapi() throws IOException {
        List<JsonNode> payloads = examples("commands").stream().map(Example::payload).toList();
        for (String designExample : DESIGN_COMMAND_EXAMPLES) {
            assertThat(payloads).contains(JSON.readTree(designExample));
        }
    }

    @Test
    void should_reference_every_schema_file_from_asyncapi() throws IOException {
        Set<String> referenced = new TreeSet<>();
        for (String channel : List.of("commands", "events")) {
            examples(channel).forEach(example -> referenced.add(example.schemaFile()));
        }
        Set<String> messageSchemaFiles;
        try (Stream<Path> files = Files.list(SCHEMA_DIR)) {
            messageSchemaFiles = files.map(file -> file.getFileName().toString())
                    .filter(name -> name.endsWith(".v1.json") && !name.equals("common.v1.json"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        assertThat(referenced).isEqualTo(messageSchemaFiles).hasSize(19);
        assertThat(asyncApi.at("/channels/commands/address").asText()).isEqualTo("waba.migration.commands.v1");
        assertThat(asyncApi.at("/channels/events/address").asText()).isEqualTo("waba.migration.events.v1");
        assertThat(asyncApi.at("/channels/commandsDlq/address").asText()).isEqualTo("waba.migration.commands.dlq.v1");
        assertThat(asyncApi.at("/channels/metaWebhooks/address").asText()).isEqualTo("waba.webhooks.meta.v1");
    }

    @Test
    void should_give_every_schema_file_its_own_id_and_draft_07() throws IOException {
        try (Stream<Path> files = Files.list(SCHEMA_DIR)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).toList()) {
                JsonNode schema = JSON.readTree(file.toFile());
                String name = file.getFileName().toString();
                assertThat(schema.path("$id").asText()).as(name).isEqualTo(MessageSchemas.SCHEMA_BASE_URI + name);
                assertThat(schema.path("$schema").asText()).as(name).isEqualTo("http://json-schema.org/draft-07/schema#");
            }
        }
    }

    @Test
    void should_describe_every_dlq_reason_with_a_valid_example() {
        JsonNode headersSchema = asyncApi.at("/components/schemas/DeadLetterHeaders");
        JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(headersSchema,
                SchemaValidatorsConfig.builder().pathType(PathType.JSON_PATH).build());
        Set<String> reasons = new TreeSet<>();
        for (JsonNode example : asyncApi.at("/components/messages/DeadLetteredCommand/examples")) {
            assertThat(schema.validate(example.path("headers"))).as(example.path("name").asText()).isEmpty();
            assertThat(example.path("payload").isTextual()).isTrue();
            reasons.add(example.at("/headers/waba-dlq-reason").asText());
        }
        Set<String> declared = new TreeSet<>();
        headersSchema.at("/properties/waba-dlq-reason/enum").forEach(reason -> declared.add(reason.asText()));
        assertThat(declared).contains("NOT_JSON", "NO_COMMAND_ID", "PAYLOAD_TOO_LARGE", "UNSTORABLE_VALUE", "PROCESSING_ERROR");
        assertThat(reasons).isEqualTo(declared);
    }

    @Test
    void should_resolve_common_refs_from_the_classpath_by_id() {
        JsonSchema phoneNumber = MessageSchemas.schemaFactory().getSchema(
                SchemaLocation.of("https://schemas.waba-migrator.dev/common.v1.json#/definitions/phoneNumber"),
                SchemaValidatorsConfig.builder().pathType(PathType.JSON_PATH).build());
        Set<ValidationMessage> messages = phoneNumber.validate(json("""
                {"countryCode":"0","number":"123"}"""));
        assertThat(messages).extracting(ValidationMessage::getMessage).containsExactlyInAnyOrder(
                "$.countryCode: does not match the regex pattern ^[1-9][0-9]{0,3}$",
                "$.number: does not match the regex pattern ^[0-9]{4,14}$");
        // and the message schemas reach common.v1.json through their relative $ref
        assertThat(schemas.validateCommand("StartMigration", startAlibaba().put("flow", "x")))
                .containsExactly("$.flow: does not match the regex pattern ^[A-Z][A-Z0-9_]{1,39}$");
    }

    // ------------------------------------------------------------------ commands

    @Test
    void should_accept_a_valid_command_of_every_type() {
        assertThat(schemas.validateCommand("StartMigration", startAlibaba())).isEmpty();
        assertThat(schemas.validateCommand("StartMigration", startMetaMps())).isEmpty();
        assertThat(schemas.validateCommand("StartMigration", startMetaClassic())).isEmpty();
        assertThat(schemas.validateCommand("SubmitVerificationCode",
                json("{\"commandId\":\"c\",\"type\":\"SubmitVerificationCode\",\"migrationId\":\"m\",\"code\":\"1234\"}"))).isEmpty();
        for (String type : List.of("ResendVerificationCode", "CancelMigration", "ResumeMigration")) {
            assertThat(schemas.validateCommand(type, json("{\"commandId\":\"c\",\"type\":\"" + type
                    + "\",\"migrationId\":\"a.B_c:d-1\",\"reason\":\"customer asked\"}"))).as(type).isEmpty();
        }
    }

    @Test
    void should_report_missing_command_id() {
        ObjectNode command = startAlibaba();
        command.remove("commandId");
        assertThat(schemas.validateCommand("StartMigration", command))
                .containsExactly("$: required property 'commandId' not found");
    }

    @Test
    void should_report_command_id_longer_than_100_characters() {
        assertThat(schemas.validateCommand("StartMigration", startAlibaba().put("commandId", "x".repeat(101))))
                .containsExactly("$.commandId: must be at most 100 characters long");
        assertThat(schemas.validateCommand("StartMigration", startAlibaba().put("commandId", "x".repeat(100)))).isEmpty();
    }

    @Test
    void should_report_phone_number_that_does_not_match_the_pattern() {
        ObjectNode command = startAlibaba();
        ((ObjectNode) command.get("phoneNumber")).put("number", "+8613900001234");
        assertThat(schemas.validateCommand("StartMigration", command))
                .containsExactly("$.phoneNumber.number: does not match the regex pattern ^[0-9]{4,14}$");
    }

    @Test
    void should_report_missing_phone_number_and_flow() {
        ObjectNode command = startAlibaba();
        command.remove(List.of("phoneNumber", "flow"));
        assertThat(schemas.validateCommand("StartMigration", command)).containsExactly(
                "$: required property 'flow' not found", "$: required property 'phoneNumber' not found");
    }

    @Test
    void should_require_alibaba_cust_space_id_for_alibaba_chatapp() {
        ObjectNode withoutCustSpaceId = startAlibaba();
        ((ObjectNode) withoutCustSpaceId.get("alibaba")).remove("custSpaceId");
        assertThat(schemas.validateCommand("StartMigration", withoutCustSpaceId))
                .containsExactly("$.alibaba: required property 'custSpaceId' not found");

        ObjectNode withoutAlibaba = startAlibaba();
        withoutAlibaba.remove("alibaba");
        assertThat(schemas.validateCommand("StartMigration", withoutAlibaba))
                .containsExactly("$: required property 'alibaba' not found");
    }

    @Test
    void should_require_meta_pin_for_meta_mps() {
        ObjectNode command = startMetaMps();
        ((ObjectNode) command.get("meta")).remove("pin");
        assertThat(schemas.validateCommand("StartMigration", command))
                .containsExactly("$.meta: required property 'pin' not found");
    }

    @Test
    void should_require_every_meta_mps_field() {
        ObjectNode command = startMetaMps();
        command.set("meta", JSON.createObjectNode());
        assertThat(schemas.validateCommand("StartMigration", command)).containsExactly(
                "$.meta: required property 'sourceWabaId' not found",
                "$.meta: required property 'businessPortfolioId' not found",
                "$.meta: required property 'displayPhoneNumber' not found",
                "$.meta: required property 'verifiedName' not found",
                "$.meta: required property 'pin' not found");
    }

    @Test
    void should_require_destination_waba_id_for_meta_classic() {
        ObjectNode command = startMetaClassic();
        ((ObjectNode) command.get("meta")).remove("destinationWabaId");
        assertThat(schemas.validateCommand("StartMigration", command))
                .containsExactly("$.meta: required property 'destinationWabaId' not found");
        command.remove("meta");
        assertThat(schemas.validateCommand("StartMigration", command))
                .containsExactly("$: required property 'meta' not found");
    }

    @ParameterizedTest
    @ValueSource(strings = {"12345", "1234567", "12a456", " 123456"})
    void should_reject_a_pin_that_is_not_six_digits(String pin) {
        ObjectNode command = startMetaMps();
        ((ObjectNode) command.get("meta")).put("pin", pin);
        assertThat(schemas.validateCommand("StartMigration", command))
                .containsExactly("$.meta.pin: does not match the regex pattern ^[0-9]{6}$");
    }

    @Test
    void should_allow_unknown_extra_fields() {
        ObjectNode command = startMetaClassic();
        command.put("priority", 5).putObject("trace").put("origin", "crm");
        ((ObjectNode) command.get("meta")).put("note", "extra");
        ((ObjectNode) command.get("phoneNumber")).put("label", "main line");
        assertThat(schemas.validateCommand("StartMigration", command)).isEmpty();
        assertThat(schemas.validateCommand("CancelMigration",
                json("{\"commandId\":\"c\",\"type\":\"CancelMigration\",\"migrationId\":\"m\",\"requestedBy\":\"ops\"}"))).isEmpty();
    }

    @Test
    void should_accept_a_well_formed_flow_the_schema_does_not_know() {
        // the engine, not the schema, decides whether a flow exists (UNKNOWN_FLOW)
        ObjectNode command = startAlibaba().put("flow", "SOME_FUTURE_FLOW");
        assertThat(schemas.validateCommand("StartMigration", command)).isEmpty();
    }

    @Test
    void should_report_enum_and_locale_violations_in_provider_options() {
        ObjectNode command = startAlibaba();
        ((ObjectNode) command.get("alibaba")).put("verifyMethod", "SMS").put("locale", "en-US");
        assertThat(schemas.validateCommand("StartMigration", command)).containsExactly(
                "$.alibaba.verifyMethod: does not have a value in the enumeration [\"sms\", \"voice\"]",
                "$.alibaba.locale: does not match the regex pattern ^[a-z]{2}(_[A-Z]{2})?$");
    }

    @Test
    void should_reject_a_migration_id_with_forbidden_characters() {
        assertThat(schemas.validateCommand("StartMigration", startAlibaba().put("migrationId", "m 1/2")))
                .containsExactly("$.migrationId: does not match the regex pattern ^[A-Za-z0-9._:-]{1,64}$");
    }

    @Test
    void should_reject_a_verification_code_that_is_not_4_to_8_digits() {
        JsonNode command = json("{\"commandId\":\"c\",\"type\":\"SubmitVerificationCode\",\"migrationId\":\"m\",\"code\":\"12ab56\"}");
        assertThat(schemas.validateCommand("SubmitVerificationCode", command))
                .containsExactly("$.code: does not match the regex pattern ^[0-9]{4,8}$");
        assertThat(schemas.validateCommand("SubmitVerificationCode",
                json("{\"commandId\":\"c\",\"type\":\"SubmitVerificationCode\"}"))).containsExactly(
                "$: required property 'migrationId' not found", "$: required property 'code' not found");
    }

    @Test
    void should_reject_a_reason_longer_than_500_characters() {
        JsonNode command = json("{\"commandId\":\"c\",\"type\":\"ResumeMigration\",\"migrationId\":\"m\",\"reason\":\""
                + "r".repeat(501) + "\"}");
        assertThat(schemas.validateCommand("ResumeMigration", command))
                .containsExactly("$.reason: must be at most 500 characters long");
    }

    @Test
    void should_report_a_type_that_differs_from_the_schema_chosen() {
        assertThat(schemas.validateCommand("CancelMigration",
                json("{\"commandId\":\"c\",\"type\":\"ResumeMigration\",\"migrationId\":\"m\"}")))
                .containsExactly("$.type: must be the constant value 'CancelMigration'");
    }

    @Test
    void should_throw_for_an_unknown_command_type() {
        assertThat(schemas.isKnownCommandType("StartMigration")).isTrue();
        assertThat(schemas.isKnownCommandType("DeleteEverything")).isFalse();
        assertThat(schemas.isKnownCommandType(null)).isFalse();
        assertThatThrownBy(() -> schemas.validateCommand("DeleteEverything", json("{}")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("DeleteEverything");
    }

    @Test
    void should_report_a_command_that_is_not_an_object() {
        assertThat(schemas.validateCommand("CancelMigration", json("[1,2]")))
                .containsExactly("$: array found, object expected");
    }

    // ------------------------------------------------------------------ events

    @ParameterizedTest
    @ValueSource(strings = {"pin", "code", "verifyCode", "accessToken", "access_token", "token", "secret", "password",
            "businessToken", "accessKeySecret", "verification_code", "registrationPin"})
    void should_reject_an_event_with_a_secret_in_data(String name) {
        ObjectNode event = eventExample("MigrationAwaitingInput");
        ((ObjectNode) event.get("data")).put(name, "123456");
        assertThat(schemas.validateEvent(event)).containsExactly("$.data: property '" + name + "' " + SECRET_VIOLATION);
    }

    @Test
    void should_reject_a_secret_nested_anywhere_in_event_data() {
        ObjectNode event = eventExample("MigrationFailed");
        ObjectNode data = (ObjectNode) event.get("data");
        ((ObjectNode) data.get("result")).put("accessToken", "EAAG...");
        ((ObjectNode) data.get("error")).put("pin", "123456");
        ((ObjectNode) data.get("phoneNumber")).put("password", "x");
        data.putObject("debug").putArray("calls").addObject().putObject("request").put("access_token", "EAAG...");
        assertThat(schemas.validateEvent(event)).containsExactlyInAnyOrder(
                "$.data.phoneNumber: property 'password' " + SECRET_VIOLATION,
                "$.data.result: property 'accessToken' " + SECRET_VIOLATION,
                "$.data.error: property 'pin' " + SECRET_VIOLATION,
                "$.data.debug.calls[0].request: property 'access_token' " + SECRET_VIOLATION);
    }

    @Test
    void should_reject_a_secret_in_command_rejected_data_but_allow_reason_code() {
        ObjectNode event = eventExample("MigrationCommandRejected");
        assertThat(schemas.validateEvent(event)).isEmpty(); // data.reason.code is a rejection code
        ((ObjectNode) event.get("data")).putObject("command").put("code", "123456");
        assertThat(schemas.validateEvent(event))
                .containsExactly("$.data.command: property 'code' " + SECRET_VIOLATION);
    }

    @Test
    void should_require_every_state_and_awaiting_kind_in_batch_progress_and_a_batch_id_as_subject() {
        ObjectNode event = eventExample("BatchProgress");
        assertThat(schemas.validateEvent(event)).isEmpty();
        ObjectNode data = (ObjectNode) event.get("data");
        ((ObjectNode) data.get("states")).remove("CANCELLED");
        ((ObjectNode) data.get("awaiting")).remove("HUMAN_ACTION");
        data.putNull("migrationsPerSecond");
        event.put("subject", "wave 7");
        assertThat(schemas.validateEvent(event)).containsExactlyInAnyOrder(
                "$.subject: does not match the regex pattern ^[A-Za-z0-9._:-]{1,64}$",
                "$.data.states: required property 'CANCELLED' not found",
                "$.data.awaiting: required property 'HUMAN_ACTION' not found",
                "$.data.migrationsPerSecond: null found, number expected");
    }

    @Test
    void should_allow_no_eta_in_batch_progress_but_not_a_negative_one() {
        ObjectNode event = eventExample("BatchProgress");
        ((ObjectNode) event.get("data")).putNull("etaSeconds");
        assertThat(schemas.validateEvent(event)).isEmpty();
        ((ObjectNode) event.get("data")).put("etaSeconds", -1);
        assertThat(schemas.validateEvent(event)).containsExactly("$.data.etaSeconds: must have a minimum value of 0");
        ((ObjectNode) event.get("data")).remove("etaSeconds");
        assertThat(schemas.validateEvent(event)).containsExactly("$.data: required property 'etaSeconds' not found");
    }

    @Test
    void should_take_an_optional_batch_id_by_the_migration_id_rules() {
        assertThat(schemas.validateCommand("StartMigration", startAlibaba().put("batchId", "wave_7:2026-11.a"))).isEmpty();
        assertThat(schemas.validateCommand("StartMigration", startAlibaba().put("batchId", "wave 7")))
                .containsExactly("$.batchId: does not match the regex pattern ^[A-Za-z0-9._:-]{1,64}$");
        assertThat(schemas.validateCommand("StartMigration", startAlibaba().put("batchId", "b".repeat(65))))
                .containsExactly("$.batchId: does not match the regex pattern ^[A-Za-z0-9._:-]{1,64}$");
    }

    @Test
    void should_allow_a_batch_id_in_every_migration_event_and_check_its_form() {
        for (String message : List.of("MigrationAccepted", "MigrationFailed")) {
            ObjectNode event = eventExample(message);
            ((ObjectNode) event.get("data")).put("batchId", "wave-7");
            assertThat(schemas.validateEvent(event)).as(message).isEmpty();
            ((ObjectNode) event.get("data")).put("batchId", "");
            assertThat(schemas.validateEvent(event)).as(message)
                    .containsExactly("$.data.batchId: does not match the regex pattern ^[A-Za-z0-9._:-]{1,64}$");
        }
    }

    @Test
    void should_allow_error_code_in_events() {
        ObjectNode event = eventExample("MigrationFailed");
        assertThat(event.at("/data/error/code").asText()).isNotEmpty();
        assertThat(schemas.validateEvent(event)).isEmpty();
    }

    @Test
    void should_require_error_and_failed_state_in_a_failed_event() {
        ObjectNode event = eventExample("MigrationFailed");
        ObjectNode data = (ObjectNode) event.get("data");
        data.remove("error");
        data.put("state", "RUNNING");
        assertThat(schemas.validateEvent(event)).containsExactlyInAnyOrder(
                "$.data: required property 'error' not found",
                "$.data.state: must be the constant value 'FAILED'");
    }

    @Test
    void should_require_a_complete_error() {
        ObjectNode event = eventExample("MigrationFailed");
        ObjectNode error = (ObjectNode) event.at("/data/error");
        error.remove("retryable");
        error.put("category", "FATAL");
        assertThat(schemas.validateEvent(event)).containsExactlyInAnyOrder(
                "$.data.error: required property 'retryable' not found",
                "$.data.error.category: does not have a value in the enumeration [\"TRANSIENT\", \"RATE_LIMITED\", \"NEEDS_HUMAN\", \"PERMANENT\"]");
    }

    @Test
    void should_require_awaiting_in_an_awaiting_input_event() {
        ObjectNode event = eventExample("MigrationAwaitingInput");
        ((ObjectNode) event.get("data")).remove("awaiting");
        assertThat(schemas.validateEvent(event)).containsExactly("$.data: required property 'awaiting' not found");

        ObjectNode badKind = eventExample("MigrationAwaitingInput");
        ((ObjectNode) badKind.at("/data/awaiting")).put("kind", "COFFEE").remove("reason");
        assertThat(schemas.validateEvent(badKind)).containsExactlyInAnyOrder(
                "$.data.awaiting: required property 'reason' not found",
                "$.data.awaiting.kind: does not have a value in the enumeration [\"VERIFICATION_CODE\", \"CUSTOMER_ACCEPTANCE\", \"HUMAN_ACTION\"]");
    }

    @Test
    void should_require_error_and_next_attempt_in_a_retry_scheduled_event() {
        ObjectNode event = eventExample("MigrationStepRetryScheduled");
        ((ObjectNode) event.get("data")).remove(List.of("error", "nextAttemptAt"));
        assertThat(schemas.validateEvent(event)).containsExactly(
                "$.data: required property 'error' not found",
                "$.data: required property 'nextAttemptAt' not found");
    }

    @Test
    void should_fix_the_state_of_terminal_and_accepted_events() {
        for (String message : List.of("MigrationAccepted", "MigrationCompleted", "MigrationCancelled")) {
            ObjectNode event = eventExample(message);
            ((ObjectNode) event.get("data")).put("state", "AWAITING_INPUT");
            assertThat(schemas.validateEvent(event)).as(message).singleElement().asString()
                    .startsWith("$.data.state: must be the constant value");
        }
    }

    @Test
    void should_require_the_migration_data_fields() {
        ObjectNode event = eventExample("MigrationStepSucceeded");
        ObjectNode data = (ObjectNode) event.get("data");
        data.remove(List.of("migrationId", "step"));
        data.put("attempt", -1);
        ((ObjectNode) data.get("phoneNumber")).remove("e164");
        assertThat(schemas.validateEvent(event)).containsExactlyInAnyOrder(
                "$.data: required property 'migrationId' not found",
                "$.data: required property 'step' not found",
                "$.data.attempt: must have a minimum value of 0",
                "$.data.phoneNumber: required property 'e164' not found");
    }

    @Test
    void should_require_subject_except_in_command_rejected() {
        ObjectNode event = eventExample("MigrationCompleted");
        event.remove("subject");
        assertThat(schemas.validateEvent(event)).containsExactly("$: required property 'subject' not found");

        ObjectNode rejected = eventExample("MigrationCommandRejected");
        rejected.remove("subject");
        assertThat(schemas.validateEvent(rejected)).isEmpty();
    }

    @Test
    void should_check_the_cloudevents_envelope() {
        ObjectNode event = eventExample("MigrationAccepted");
        event.put("specversion", "0.3").put("time", "yesterday").put("datacontenttype", "text/plain").remove("id");
        assertThat(schemas.validateEvent(event)).containsExactlyInAnyOrder(
                "$: required property 'id' not found",
                "$.specversion: must be the constant value '1.0'",
                "$.time: does not match the date-time pattern must be a valid RFC 3339 date-time",
                "$.datacontenttype: must be the constant value 'application/json'");
    }

    @Test
    void should_require_a_known_rejection_code() {
        ObjectNode event = eventExample("MigrationCommandRejected");
        ((ObjectNode) event.at("/data/reason")).put("code", "NOPE");
        ((ObjectNode) event.get("data")).remove("commandId");
        assertThat(schemas.validateEvent(event)).hasSize(2)
                .contains("$.data: required property 'commandId' not found")
                .anySatisfy(line -> assertThat(line).startsWith("$.data.reason.code: does not have a value in the enumeration"));
    }

    @Test
    void should_report_exactly_one_violation_for_an_unknown_or_missing_event_type() {
        ObjectNode unknown = eventExample("MigrationAccepted").put("type", "waba.migration.exploded");
        assertThat(schemas.validateEvent(unknown)).singleElement().asString()
                .startsWith("$.type: unknown event type 'waba.migration.exploded'");
        ObjectNode missing = eventExample("MigrationAccepted");
        missing.remove("type");
        assertThat(schemas.validateEvent(missing)).hasSize(1);
        assertThat(schemas.validateEvent(json("\"text\""))).hasSize(1);
    }

    // ------------------------------------------------------------------ concurrency

    @Test
    void should_give_the_same_answers_from_many_threads() throws Exception {
        ObjectNode bad = startMetaMps();
        ((ObjectNode) bad.get("meta")).put("pin", "12");
        List<String> expected = schemas.validateCommand("StartMigration", bad);
        JsonNode event = eventExample("MigrationFailed");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Boolean>> tasks = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                tasks.add(() -> {
                    for (int i = 0; i < 500; i++) {
                        if (!schemas.validateCommand("StartMigration", bad).equals(expected)
                                || !schemas.validateEvent(event).isEmpty()) {
                            return false;
                        }
                    }
                    return true;
                });
            }
            for (Future<Boolean> result : pool.invokeAll(tasks)) {
                assertThat(result.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ helpers

    private record Example(String label, String schemaFile, JsonNode headers, JsonNode payload) {
    }

    /** Every example of every message of a channel, with the schema file its message references. */
    private static List<Example> examples(String channel) {
        List<Example> examples = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> messages = asyncApi.path("channels").path(channel).path("messages").fields();
        while (messages.hasNext()) {
            Map.Entry<String, JsonNode> entry = messages.next();
            JsonNode message = resolve(entry.getValue());
            String ref = message.at("/payload/schema/$ref").asText();
            assertThat(ref).as(entry.getKey() + " payload $ref").startsWith(SCHEMA_REF_PREFIX);
            assertThat(message.at("/payload/schemaFormat").asText()).isEqualTo("application/schema+json;version=draft-07");
            String schemaFile = ref.substring(SCHEMA_REF_PREFIX.length());
            assertThat(ASYNCAPI.getParent().resolve(ref).normalize()).as(ref).exists();
            for (JsonNode example : message.path("examples")) {
                examples.add(new Example(entry.getKey() + "/" + example.path("name").asText(), schemaFile,
                        example.path("headers"), example.path("payload")));
            }
        }
        return examples;
    }

    private static JsonNode resolve(JsonNode node) {
        JsonNode ref = node.get("$ref");
        return ref == null ? node : asyncApi.at(ref.asText().substring(1)); // '#/components/...' → JSON pointer
    }

    /** A deep copy of the first example of an event message in asyncapi.yaml. */
    private static ObjectNode eventExample(String message) {
        ArrayNode examples = (ArrayNode) asyncApi.path("components").path("messages").path(message).path("examples");
        return (ObjectNode) examples.get(0).path("payload").deepCopy();
    }

    private static ObjectNode startAlibaba() {
        return (ObjectNode) json(DESIGN_COMMAND_EXAMPLES.get(0));
    }

    private static ObjectNode startMetaMps() {
        return (ObjectNode) json(DESIGN_COMMAND_EXAMPLES.get(1));
    }

    private static ObjectNode startMetaClassic() {
        return (ObjectNode) json(DESIGN_COMMAND_EXAMPLES.get(2));
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
