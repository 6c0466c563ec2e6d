package dev.wabamigrator.provider.alibaba;

import dev.wabamigrator.engine.CallOutcomeUnknownException;
import dev.wabamigrator.engine.CodeWait;
import dev.wabamigrator.engine.ErrorClass;
import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.ProviderError;
import dev.wabamigrator.engine.ProviderPauses;
import dev.wabamigrator.engine.TransientProviderException;
import dev.wabamigrator.provider.RatePacer;
import dev.wabamigrator.provider.RequestHeaders;
import dev.wabamigrator.provider.alibaba.AlibabaErrorClassifier.CamsResult;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.http.HttpMethods;

/**
 * What the route segment {@code alibaba-cams-call} (bean {@code camsRequests}) needs around the one cams call it
 * sends; this class sends nothing itself: the operation's parameters from the migration, V3-signed headers (fresh
 * date and nonce on every attempt), pacing to the per-operation limit of the account (a planned slot, then a window
 * token right before the send, given back after the answer), and the classification of the answer; a throttle holds
 * every call of its operation.
 * Transient failures are thrown, so the step's error handler repeats the whole call.
 */
public final class CamsRequests {
    /** The exchange property naming the cams operation to call (a property: camel-http sends headers to cams). */
    public static final String OPERATION_PROPERTY = "camsOperation";
    public static final String RESPONSE_PROPERTY = "camsResponse";
    public static final String SLOT_WAIT_PROPERTY = "camsSlotWaitMs";
    /** The parameters of a call about no migration ({@link #prepareRead}). */
    public static final String PARAMETERS_PROPERTY = "camsParameters";
    /** How long the whole operation backs off after a throttle that named no wait (no x-acs-retry-after). */
    static final Duration DEFAULT_THROTTLE_BACK_OFF = Duration.ofSeconds(1);

    /**
     * Transient answers that say the call was not processed: the API gateway checks the signature's date and nonce
     * before the operation runs (provider-apis.md §1.2), so a re-signed resend is safe. Every other transient
     * answer (5xx, unreadable body) may come after the call took effect.
     */
    static final java.util.Set<String> REJECTED_BEFORE_PROCESSING =
            java.util.Set.of("InvalidTimeStamp.Expired", "SignatureNonceUsed");
    /** The date/nonce rejection the previous attempt of this call got, to tell a recurrence from a first time. */
    private static final String REJECTED_PROPERTY = "camsRejectedBeforeProcessing";

    private final URI endpoint;
    private final String accessKeyId;
    private final String accessKeySecret;
    private final AlibabaErrorClassifier classifier;
    private final RatePacer pacer;
    private final CodeWait codeWait;
    private final ProviderPauses pauses;
    private final Clock clock;
    private final Acs3Signer signer = new Acs3Signer();

    public CamsRequests(URI endpoint, String accessKeyId, String accessKeySecret, AlibabaErrorClassifier classifier,
                        RatePacer pacer, CodeWait codeWait, ProviderPauses pauses, Clock clock) {
        this.endpoint = endpoint;
        this.accessKeyId = accessKeyId;
        this.accessKeySecret = accessKeySecret;
        this.classifier = classifier;
        this.pacer = pacer;
        this.codeWait = codeWait;
        this.pauses = pauses;
        this.clock = clock;
    }

    /** Sends nothing while every cams call is paused (a credential or signer failure): the migration parks. */
    public void requireNotPaused() {
        pauses.requireNotPaused(AlibabaErrorClassifier.PROVIDER);
    }

    /** Reserves the account's next planned slot for the operation: milliseconds to wait for it. */
    public long pace(Exchange exchange) {
        return pacer.reserve(operation(exchange).action());
    }

    /**
     * Asks for one of the account's window tokens, to send now. True when refused: the milliseconds to wait before
     * asking again are then in the exchange property {@value #SLOT_WAIT_PROPERTY}.
     */
    public boolean slotRefused(Exchange exchange) {
        long waitMs = pacer.tryAcquire(operation(exchange).action());
        exchange.setProperty(SLOT_WAIT_PROPERTY, waitMs);
        return waitMs > 0;
    }

    /** The call that took a window token was answered, or failed: the token goes back a window later. */
    public void answered(Exchange exchange) {
        pacer.answered(operation(exchange).action());
    }

    /** True when this call changes something each time it is sent: it is recorded before it goes out. */
    public boolean notSafeToRepeat(Exchange exchange) {
        return !operation(exchange).safeToRepeat();
    }

    /** Builds and signs the request on the exchange (empty POST, parameters in the query string). */
    public void prepare(Exchange exchange, Migration m) {
        sign(exchange, parameters(operation(exchange), m));
    }

    /**
     * As {@link #prepare}, for a call about no migration (the template listing): its parameters are the exchange
     * property {@value #PARAMETERS_PROPERTY}.
     */
    @SuppressWarnings("unchecked")
    public void prepareRead(Exchange exchange) {
        sign(exchange, exchange.getProperty(PARAMETERS_PROPERTY, Map.class));
    }

    /**
     * Classifies the answer to a call about no migration, which is safe to repeat: nothing is thrown, the caller
     * decides about retries. A throttle holds every call of the operation, as in {@link #classify}. A refused call
     * pauses nothing: a policy without the listing's RAM action must not stop the migrations.
     */
    public CamsResult classifyRead(Exchange exchange) {
        Message message = exchange.getMessage();
        int status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        String body = message.getBody(String.class);
        exchange.setProperty(RESPONSE_PROPERTY, body);
        CamsResult result = classifier.classify(status, message.getHeader(AlibabaErrorClassifier.RETRY_AFTER_HEADER,
                String.class), body);
        if (!result.success() && result.error().errorClass() == ErrorClass.RATE_LIMITED) {
            pacer.backOff(operation(exchange).action(),
                    result.error().retryAfter() != null ? result.error().retryAfter() : DEFAULT_THROTTLE_BACK_OFF);
        }
        return result;
    }

    private void sign(Exchange exchange, Map<String, String> parameters) {
        CamsOperation operation = operation(exchange);
        SortedMap<String, String> query = new TreeMap<>(parameters);
        Map<String, String> signed = signer.signedHeaders("POST", Acs3Signer.hostHeader(endpoint), path(),
                operation.action(), CamsOperation.VERSION, query, null, null, accessKeyId, accessKeySecret,
                clock.instant(), Acs3Signer.newNonce());
        Message message = exchange.getMessage();
        RequestHeaders.keepOnlyRedeliveryCounters(message);
        signed.forEach((name, value) -> {
            if (!"host".equals(name)) { // the HTTP client writes Host from the URL
                message.setHeader(name, value);
            }
        });
        // the enum itself: as a String, camel-http converts it on every call through a slow converter lookup
        message.setHeader(Exchange.HTTP_METHOD, HttpMethods.POST);
        message.setHeader(Exchange.HTTP_QUERY, Acs3Signer.canonicalQuery(query));
        message.setBody(null);
    }

    /**
     * Classifies the answer. A transient failure is thrown so the whole call is repeated (re-signed), except when it
     * may have taken effect on a call that is not safe to repeat: then its effect is read back first. A date or
     * nonce rejection that comes back on the re-signed retry escalates ({@link AlibabaErrorClassifier#classifyRepeat}).
     * A credential or signer failure pauses every cams call.
     */
    public CamsResult classify(Exchange exchange) {
        Message message = exchange.getMessage();
        int status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        String body = message.getBody(String.class);
        exchange.setProperty(RESPONSE_PROPERTY, body); // for answers beyond Data, e.g. the number listing
        CamsResult result = classifier.classify(status, message.getHeader(AlibabaErrorClassifier.RETRY_AFTER_HEADER,
                String.class), body);
        Migration m = exchange.getProperty("migration", Migration.class);
        String rejectedBefore = exchange.getProperty(REJECTED_PROPERTY, String.class);
        exchange.removeProperty(REJECTED_PROPERTY);
        if (result.success()) {
            m.callAnswered();
            return result;
        }
        ProviderError error = result.error();
        if (REJECTED_BEFORE_PROCESSING.contains(error.code())) {
            m.callAnswered(); // the gateway refused it before the operation ran
            if (error.code().equals(rejectedBefore)) {
                return new CamsResult(repeated(error), result.requestId(), result.data());
            }
            exchange.setProperty(REJECTED_PROPERTY, error.code());
            throw new TransientProviderException(error); // re-signed with a fresh date and nonce
        }
        if (error.errorClass() == ErrorClass.RATE_LIMITED) {
            // cams counts per account and operation: every call of the operation waits, not only this one
            pacer.backOff(operation(exchange).action(),
                    error.retryAfter() != null ? error.retryAfter() : DEFAULT_THROTTLE_BACK_OFF);
        }
        if (error.errorClass() == ErrorClass.TRANSIENT) {
            throw new CallOutcomeUnknownException(error); // may have taken effect: read back first when not safe to repeat
        }
        m.callAnswered();
        if (classifier.isCredentialFailure(error)
                && !pauses.pause(AlibabaErrorClassifier.PROVIDER, error, m.getMigrationId())) {
            pauses.requireNotPaused(AlibabaErrorClassifier.PROVIDER); // another migration raised it: park with the rest
        }
        return result;
    }

    /** The escalated class, with what a person should look at. */
    private ProviderError repeated(ProviderError error) {
        ProviderError escalated = classifier.classifyRepeat(error);
        String hint = switch (error.code()) {
            case "InvalidTimeStamp.Expired" -> "the re-signed retry was rejected too: check this host's clock (NTP)";
            case "SignatureNonceUsed" -> "the retry's fresh nonce was rejected too: the signer repeats nonces";
            default -> "rejected again on the retry";
        };
        return new ProviderError(escalated.provider(), escalated.code(), escalated.message() + " (" + hint + ")",
                escalated.errorClass(), escalated.retryAfter(), escalated.traceId());
    }

    private Map<String, String> parameters(CamsOperation operation, Migration m) {
        String custSpaceId = m.param("alibaba.custSpaceId");
        return switch (operation) {
            case CREATE_CHATAPP_MIGRATION_INITIATE -> Map.of(CamsOperation.CUST_SPACE_ID, custSpaceId,
                    CamsOperation.COUNTRY_CODE, m.getCountryCode(), CamsOperation.MOBILE_NUMBER, m.getNationalNumber());
            case GET_PHONE_NUMBER_VERIFICATION_STATUS, CHATAPP_MIGRATION_REGISTER -> Map.of(
                    CamsOperation.CUST_SPACE_ID, custSpaceId, CamsOperation.PHONE_NUMBER, m.getPhoneE164());
            case GET_MIGRATION_VERIFY_CODE -> Map.of(CamsOperation.CUST_SPACE_ID, custSpaceId,
                    CamsOperation.PHONE_NUMBER, m.getPhoneE164(),
                    CamsOperation.LOCALE, m.param("alibaba.locale", "en_US"),
                    CamsOperation.METHOD, m.param("alibaba.verifyMethod", "sms"));
            case CHATAPP_MIGRATION_VERIFIED -> Map.of(CamsOperation.CUST_SPACE_ID, custSpaceId,
                    CamsOperation.PHONE_NUMBER, m.getPhoneE164(), CamsOperation.VERIFY_CODE, codeWait.code(m));
            case QUERY_CHATAPP_PHONE_NUMBERS -> Map.of(CamsOperation.CUST_SPACE_ID, custSpaceId);
            case LIST_CHATAPP_TEMPLATE -> throw new IllegalArgumentException(
                    "ListChatappTemplate is about a space, not a migration: see prepareRead");
        };
    }

    private String path() {
        String path = endpoint.getRawPath();
        return path == null || path.isEmpty() ? "/" : path;
    }

    private static CamsOperation operation(Exchange exchange) {
        String action = exchange.getProperty(OPERATION_PROPERTY, String.class);
        return CamsOperation.fromAction(action)
                .orElseThrow(() -> new IllegalArgumentException("unknown cams operation " + action));
    }
}
