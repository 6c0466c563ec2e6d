package dev.wabamigrator.provider.meta;

/**
 * The Graph API calls of the META_MPS and META_CLASSIC flows (provider-apis.md §2.2–2.5): method, the edge after
 * the object id, and which bearer token goes with it. A step route names its call in the exchange property
 * {@value #PROPERTY}; {@link GraphRequests} builds the request from the migration, and {@link MetaErrorClassifier}
 * reads the answer by the same name (Graph's 2388xxx subcodes mean different things on different calls).
 */
public enum GraphCall {
    /** {@code POST /{sourceWabaId}/set_solution_migration_intent {app_id}}. */
    TAG_INTENT("POST", "set_solution_migration_intent", Token.SYSTEM),
    /** {@code GET /{intentId}?fields=id,status,destination_waba,solution,waba}. */
    GET_INTENT("GET", null, Token.SYSTEM),
    /** {@code POST /{businessPortfolioId}/system_user_access_tokens?appsecret_proof=…&fetch_only=true}. */
    FETCH_BUSINESS_TOKEN("POST", "system_user_access_tokens", Token.SYSTEM),
    /** {@code POST /{destinationWabaId}/subscribed_apps}. */
    SUBSCRIBE_APPS("POST", "subscribed_apps", Token.BUSINESS),
    /** {@code GET /{sourceWabaId}/phone_numbers?fields=id,display_phone_number,status}. */
    LIST_SOURCE_NUMBERS("GET", "phone_numbers", Token.BUSINESS),
    /** {@code POST /{destinationWabaId}/phone_numbers {migrate_phone_number:true, cc, phone_number, …}}. */
    MIGRATE_NUMBER("POST", "phone_numbers", Token.BUSINESS),
    /** {@code GET /{destinationWabaId}/phone_numbers?fields=id,display_phone_number,status}: is the number there? */
    LIST_DESTINATION_NUMBERS("GET", "phone_numbers", Token.BUSINESS),
    /** {@code POST /{phoneNumberId}/request_code {code_method, language}}. */
    REQUEST_CODE("POST", "request_code", Token.BUSINESS),
    /** {@code POST /{phoneNumberId}/verify_code {code}}. */
    VERIFY_CODE("POST", "verify_code", Token.BUSINESS),
    /** {@code POST /{phoneNumberId}/register {messaging_product, pin}}: budgeted, 10 per number per 72 h. */
    REGISTER("POST", "register", Token.BUSINESS),
    /** {@code GET /{phoneNumberId}?fields=id,display_phone_number,status}: did a register take effect? */
    GET_PHONE_NUMBER("GET", null, Token.BUSINESS),
    /** {@code GET /{phoneNumberId}?fields=id,code_verification_status}: did a verify take effect? */
    GET_VERIFICATION_STATUS("GET", null, Token.BUSINESS),
    /** Preflight: {@code GET /{sourceWabaId}?fields=id,business_verification_status,account_review_status}. */
    PREFLIGHT_SOURCE_WABA("GET", null, Token.SYSTEM),
    /**
     * Preflight: {@code GET /{sourceWabaId}/phone_numbers?fields=id,display_phone_number,status,name_status,
     * new_name_status,account_mode,platform_type}, every page until the number is found.
     */
    PREFLIGHT_SOURCE_NUMBERS("GET", "phone_numbers", Token.SYSTEM),
    /**
     * Preflight: {@code GET /{destinationWabaId}?fields=id,business_verification_status,account_review_status,
     * primary_funding_id}.
     */
    PREFLIGHT_DESTINATION_WABA("GET", null, Token.BUSINESS),
    /** Preflight: {@code GET /{destinationWabaId}/subscribed_apps}: is an app subscribed to its webhooks? */
    PREFLIGHT_SUBSCRIBED_APPS("GET", "subscribed_apps", Token.BUSINESS),
    /**
     * Templates: {@code GET /{sourceWabaId}/message_templates?fields=id,name,language,status,category,quality_score},
     * every page.
     */
    LIST_SOURCE_TEMPLATES("GET", "message_templates", Token.SYSTEM),
    /** Templates: {@code GET /{destinationWabaId}/message_templates?fields=...}: what the destination has. */
    LIST_DESTINATION_TEMPLATES("GET", "message_templates", Token.BUSINESS),
    /**
     * Templates: {@code POST /{destinationWabaId}/migrate_message_templates {source_waba_id, count, template_ids}}:
     * recreates the named source templates at the destination.
     */
    MIGRATE_TEMPLATES("POST", "migrate_message_templates", Token.BUSINESS);

    /** The exchange property that names the call for {@code meta-graph-call}. */
    public static final String PROPERTY = "graphCall";

    /** Which bearer token a call sends. */
    public enum Token {
        /** The project's system-user token. */
        SYSTEM,
        /** The customer's business token once META_MPS fetched it; the system-user token in META_CLASSIC. */
        BUSINESS
    }

    private final String method;
    private final String edge;
    private final Token token;

    GraphCall(String method, String edge, Token token) {
        this.method = method;
        this.edge = edge;
        this.token = token;
    }

    public String method() {
        return method;
    }

    /** The edge after the object id, or null for a read of the object itself. */
    public String edge() {
        return edge;
    }

    public Token token() {
        return token;
    }

    /**
     * False for the calls that change something each time they are sent (tag-intent, migrate, a code request,
     * register): the attempt is recorded right before the send, and an answer that leaves its effect unknown is
     * read back, never resent blindly (design.md §3 rule 2).
     */
    public boolean safeToRepeat() {
        return switch (this) {
            case TAG_INTENT, MIGRATE_NUMBER, REQUEST_CODE, REGISTER, MIGRATE_TEMPLATES -> false;
            default -> true;
        };
    }
}
