package dev.wabamigrator.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.NonValidationKeyword;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The v1 message contract as JSON Schemas ({@code src/main/resources/schemas/*.v1.json}, listed in
 * {@code docs/asyncapi.yaml}): validates commands before intake writes anything, and events in tests.
 *
 * <p>Every schema is loaded, its {@code $ref}s resolved and its validators built once, in the constructor;
 * afterwards an instance is immutable and safe to share between threads. Use {@link #shared()} unless a test
 * wants its own.
 *
 * <p>Schemas have {@code $id} {@value #SCHEMA_BASE_URI}{@code <file>} and reference each other relatively
 * ({@code common.v1.json#/definitions/phoneNumber}); the factory maps that base to
 * {@value #SCHEMA_CLASSPATH_BASE}, so nothing is ever fetched over the network.
 *
 * <p>Violations read {@code <JSON path of the offending value>: <what is wrong>}, for example
 * {@code $.phoneNumber.number: does not match the regex pattern ^[0-9]{4,14}$}.
 */
public final class MessageSchemas {

    /** Base of every schema {@code $id}. */
    public static final String SCHEMA_BASE_URI = "https://schemas.waba-migrator.dev/";
    /** Where the schemas named under {@link #SCHEMA_BASE_URI} are read from. */
    public static final String SCHEMA_CLASSPATH_BASE = "classpath:schemas/";

    private static final String ERROR_MESSAGE_KEYWORD = "errorMessage";

    /** Command {@code type} → schema file. */
    private static final Map<String, String> COMMAND_SCHEMA_FILES = orderedMap(
            "StartMigration", "start-migration-command.v1.json",
            "SubmitVerificationCode", "submit-verification-code-command.v1.json",
            "ResendVerificationCode", "resend-verification-code-command.v1.json",
            "CancelMigration", "cancel-migration-command.v1.json",
            "ResumeMigration", "resume-migration-command.v1.json",
            "CheckMigration", "check-migration-command.v1.json");

    /** CloudEvents {@code type} → schema file. */
    private static final Map<String, String> EVENT_SCHEMA_FILES = orderedMap(
            EventTypes.ACCEPTED, "migration-accepted-event.v1.json",
            EventTypes.STEP_SUCCEEDED, "migration-step-succeeded-event.v1.json",
            EventTypes.STEP_RETRY_SCHEDULED, "migration-step-retry-scheduled-event.v1.json",
            EventTypes.AWAITING_INPUT, "migration-awaiting-input-event.v1.json",
            EventTypes.COMPLETED, "migration-completed-event.v1.json",
            EventTypes.FAILED, "migration-failed-event.v1.json",
            EventTypes.CANCELLED, "migration-cancelled-event.v1.json",
            EventTypes.COMMAND_REJECTED, "migration-command-rejected-event.v1.json",
            EventTypes.OPERATOR_ACTION, "migration-operator-action-event.v1.json",
            EventTypes.BATCH_PROGRESS, "batch-progress-event.v1.json",
            EventTypes.PREFLIGHT_CHECKED, "migration-preflight-checked-event.v1.json",
            EventTypes.PROVIDER_NOTICE, "migration-provider-notice-event.v1.json",
            EventTypes.TEMPLATES_MIGRATED, "migration-templates-migrated-event.v1.json");

    private final Map<String, JsonSchema> commandSchemas;
    private final Map<String, JsonSchema> eventSchemas;

    /** Loads and compiles every v1 schema; fails fast if one is missing or broken. */
    public MessageSchemas() {
        JsonSchemaFactory factory = schemaFactory();
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
                .pathType(PathType.JSON_PATH)
                .formatAssertionsEnabled(true)
                .errorMessageKeyword(ERROR_MESSAGE_KEYWORD)
                .build();
        this.commandSchemas = load(factory, config, COMMAND_SCHEMA_FILES);
        this.eventSchemas = load(factory, config, EVENT_SCHEMA_FILES);
    }

    /** The process-wide instance, built on first use. */
    public static MessageSchemas shared() {
        return Holder.INSTANCE;
    }

    /**
     * Validates a command against the schema of its type.
     *
     * @param commandType the command's {@code type} value, e.g. {@code StartMigration}
     * @param command     the whole command as parsed JSON
     * @return human-readable violations in schema order; empty when the command is valid
     * @throws IllegalArgumentException if {@code commandType} is not a v1 command type (see {@link #isKnownCommandType})
     */
    public List<String> validateCommand(String commandType, JsonNode command) {
        Objects.requireNonNull(command, "command");
        JsonSchema schema = commandType == null ? null : commandSchemas.get(commandType);
        if (schema == null) {
            throw new IllegalArgumentException("Unknown command type '" + commandType + "'; v1 command types are "
                    + COMMAND_SCHEMA_FILES.keySet());
        }
        return violations(schema, command);
    }

    /** Whether {@code type} is a v1 command type ({@code StartMigration}, {@code SubmitVerificationCode}, ...). */
    public boolean isKnownCommandType(String type) {
        return type != null && commandSchemas.containsKey(type);
    }

    /**
     * Validates a CloudEvent (structured mode, the whole envelope) against the schema of its {@code type}.
     *
     * @return human-readable violations; empty when valid; exactly one when {@code type} is missing or unknown
     */
    public List<String> validateEvent(JsonNode cloudEvent) {
        Objects.requireNonNull(cloudEvent, "cloudEvent");
        JsonNode type = cloudEvent.path("type");
        if (!type.isTextual()) {
            return List.of(cloudEvent.isObject()
                    ? "$.type: required text property missing; cannot choose an event schema"
                    : "$: " + cloudEvent.getNodeType().name().toLowerCase() + " found, object expected");
        }
        JsonSchema schema = eventSchemas.get(type.textValue());
        if (schema == null) {
            return List.of("$.type: unknown event type '" + type.textValue() + "'; v1 event types are "
                    + EVENT_SCHEMA_FILES.keySet());
        }
        return violations(schema, cloudEvent);
    }

    /** The v1 command types, in contract order. */
    public Set<String> commandTypes() {
        return COMMAND_SCHEMA_FILES.keySet();
    }

    /** The v1 event types, in contract order. */
    public Set<String> eventTypes() {
        return EVENT_SCHEMA_FILES.keySet();
    }

    /** Schema file (under {@code schemas/}) of a command type, or {@code null} if unknown. */
    public static String commandSchemaFile(String commandType) {
        return COMMAND_SCHEMA_FILES.get(commandType);
    }

    /** Schema file (under {@code schemas/}) of an event type, or {@code null} if unknown. */
    public static String eventSchemaFile(String eventType) {
        return EVENT_SCHEMA_FILES.get(eventType);
    }

    /**
     * A draft-07 schema factory that resolves {@value #SCHEMA_BASE_URI}{@code <file>} from
     * {@value #SCHEMA_CLASSPATH_BASE}{@code <file>}.
     */
    static JsonSchemaFactory schemaFactory() {
        // draft-07 plus the errorMessage keyword (custom violation texts, also understood by ajv-errors)
        JsonMetaSchema draft7 = JsonMetaSchema.builder(JsonMetaSchema.getV7())
                .keyword(new NonValidationKeyword(ERROR_MESSAGE_KEYWORD))
                .build();
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7, builder -> builder
                .metaSchema(draft7)
                .schemaMappers(mappers -> mappers.mapPrefix(SCHEMA_BASE_URI, SCHEMA_CLASSPATH_BASE)));
    }

    private static Map<String, JsonSchema> load(JsonSchemaFactory factory, SchemaValidatorsConfig config,
                                                Map<String, String> files) {
        Map<String, JsonSchema> schemas = new LinkedHashMap<>();
        files.forEach((type, file) -> {
            JsonSchema schema = factory.getSchema(SchemaLocation.of(SCHEMA_BASE_URI + file), config);
            schema.initializeValidators(); // resolve every $ref now, not on the first message
            schemas.put(type, schema);
        });
        return Collections.unmodifiableMap(schemas);
    }

    private static List<String> violations(JsonSchema schema, JsonNode node) {
        Set<ValidationMessage> messages = schema.validate(node);
        if (messages.isEmpty()) {
            return List.of();
        }
        Set<String> lines = new LinkedHashSet<>(); // allOf branches may report the same thing twice
        for (ValidationMessage message : messages) {
            lines.add(message.getMessage());
        }
        return List.copyOf(lines);
    }

    private static Map<String, String> orderedMap(String... keysAndValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }

    private static final class Holder {
        private static final MessageSchemas INSTANCE = new MessageSchemas();
    }
}
