package dev.wabamigrator.provider.alibaba;

import java.util.List;
import java.util.Optional;

/**
 * The five cams migration operations, in flow order, the number listing that confirms a register, and the template
 * listing of the report after a migration, with their exact parameter names (provider-apis.md §1.4).
 * All parameters are strings and all are required; they travel in the query string of {@code POST /} with
 * {@code x-acs-action: <action>} and {@code x-acs-version: 2020-06-06}.
 */
public enum CamsOperation {

    /** Step {@code initiate}: {@code MobileNumber} is the national number, without the country code. */
    CREATE_CHATAPP_MIGRATION_INITIATE("CreateChatappMigrationInitiate",
            CamsOperation.CUST_SPACE_ID, CamsOperation.COUNTRY_CODE, CamsOperation.MOBILE_NUMBER),
    /** Step {@code check-verification}: {@code Data.CodeVerificationStatus} {@code VERIFIED} skips the code steps. */
    GET_PHONE_NUMBER_VERIFICATION_STATUS("GetPhoneNumberVerificationStatus",
            CamsOperation.CUST_SPACE_ID, CamsOperation.PHONE_NUMBER),
    /** Step {@code request-code}: {@code Method} is {@code sms} or {@code voice} (send lower case). Not idempotent. */
    GET_MIGRATION_VERIFY_CODE("GetMigrationVerifyCode",
            CamsOperation.CUST_SPACE_ID, CamsOperation.PHONE_NUMBER, CamsOperation.LOCALE, CamsOperation.METHOD),
    /** Step {@code verify}. */
    CHATAPP_MIGRATION_VERIFIED("ChatappMigrationVerified",
            CamsOperation.CUST_SPACE_ID, CamsOperation.PHONE_NUMBER, CamsOperation.VERIFY_CODE),
    /** Step {@code register}: no {@code Data} in the response. Not idempotent. */
    CHATAPP_MIGRATION_REGISTER("ChatappMigrationRegister",
            CamsOperation.CUST_SPACE_ID, CamsOperation.PHONE_NUMBER),
    /**
     * Not a migration step: lists the space's numbers with their {@code Status} ({@code CONNECTED} once registered).
     * Reads a register's effect back after a crash cut the register call off.
     */
    QUERY_CHATAPP_PHONE_NUMBERS("QueryChatappPhoneNumbers", CamsOperation.CUST_SPACE_ID),
    /**
     * Not a migration step: one page of the space's message templates ({@code ListTemplate}, {@code Total}), for the
     * templates report that trails a completed migration. {@code Page} is the JSON {@code {"Index":n,"Size":m}}
     * (Index from 1). cams allows 5 calls per second per account, half the others.
     */
    LIST_CHATAPP_TEMPLATE("ListChatappTemplate", 5, CamsOperation.CUST_SPACE_ID, CamsOperation.PAGE);

    /** Calls per second and account that cams documents for the migration operations. */
    public static final int MIGRATION_LIMIT_PER_SECOND = 10;

    /** API version of every operation, sent as {@code x-acs-version}. */
    public static final String VERSION = "2020-06-06";

    public static final String CUST_SPACE_ID = "CustSpaceId";
    public static final String COUNTRY_CODE = "CountryCode";
    public static final String MOBILE_NUMBER = "MobileNumber";
    public static final String PHONE_NUMBER = "PhoneNumber";
    public static final String LOCALE = "Locale";
    public static final String METHOD = "Method";
    public static final String VERIFY_CODE = "VerifyCode";
    public static final String PAGE = "Page";

    private final String action;
    private final int limitPerSecond;
    private final List<String> parameters;

    CamsOperation(String action, String... parameters) {
        this(action, 10, parameters);
    }

    CamsOperation(String action, int limitPerSecond, String... parameters) {
        this.action = action;
        this.limitPerSecond = limitPerSecond;
        this.parameters = List.of(parameters);
    }

    /**
     * The calls per second and account that cams's API reference gives this operation: 10 for the migration
     * operations and the number listing, 5 for {@code ListChatappTemplate}.
     */
    public int limitPerSecond() {
        return limitPerSecond;
    }

    /** The {@code x-acs-action} value, also the RAM action after {@code cams:}. */
    public String action() {
        return action;
    }

    /** The required request parameters, in documentation order. */
    public List<String> parameters() {
        return parameters;
    }

    /**
     * False for the calls that change something each time they are sent (initiate, a code request, register): the
     * attempt is recorded right before the send, and an answer that leaves its effect unknown is read back, never
     * resent blindly (design.md §3 rule 2).
     */
    public boolean safeToRepeat() {
        return switch (this) {
            case CREATE_CHATAPP_MIGRATION_INITIATE, GET_MIGRATION_VERIFY_CODE, CHATAPP_MIGRATION_REGISTER -> false;
            default -> true;
        };
    }

    /** The RAM action the AccessKey's policy must allow, e.g. {@code cams:ChatappMigrationRegister}. */
    public String ramAction() {
        return "cams:" + action;
    }

    public static Optional<CamsOperation> fromAction(String action) {
        for (CamsOperation op : values()) {
            if (op.action.equals(action)) {
                return Optional.of(op);
            }
        }
        return Optional.empty();
    }
}
