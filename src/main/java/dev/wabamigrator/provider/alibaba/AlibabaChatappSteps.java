package dev.wabamigrator.provider.alibaba;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.engine.CodeWait;
import dev.wabamigrator.engine.ErrorClass;
import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.ProviderError;
import dev.wabamigrator.engine.RetryPolicy;
import dev.wabamigrator.engine.StepOutcome;
import dev.wabamigrator.provider.alibaba.AlibabaErrorClassifier.CamsResult;
import java.util.Map;
import java.util.function.Function;

/**
 * What each ALIBABA_CHATAPP step makes of its cams answer (bean {@code alibabaChatappSteps}). An answer that is
 * already a {@link StepOutcome} (the call was given up on after redeliveries) passes through unchanged.
 */
public final class AlibabaChatappSteps {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RetryPolicy retryPolicy;
    private final CodeWait codeWait;
    private final AlibabaErrorClassifier classifier;

    public AlibabaChatappSteps(RetryPolicy retryPolicy, CodeWait codeWait, AlibabaErrorClassifier classifier) {
        this.retryPolicy = retryPolicy;
        this.codeWait = codeWait;
        this.classifier = classifier;
    }

    /** {@code initiate}: keep the phone-number id; only MIGRATING is a documented status. */
    public StepOutcome initiated(Migration m, Object answer) {
        return interpret(m, answer, result -> {
            String status = result.dataText("Status");
            if (status != null && !"MIGRATING".equals(status)) {
                return new StepOutcome.NeedsHuman(ProviderError.of("alibaba", "UNEXPECTED_STATUS",
                        "CreateChatappMigrationInitiate answered status " + status, ErrorClass.NEEDS_HUMAN),
                        "cams reports status " + status + " instead of MIGRATING; check the number in the console, then resume");
            }
            String id = result.dataText("Id");
            return StepOutcome.succeeded(id == null ? Map.of() : Map.of("alibabaPhoneNumberId", id));
        });
    }

    /** {@code check-verification}: a number verified within 14 days skips the code steps. */
    public StepOutcome verificationChecked(Migration m, Object answer) {
        return interpret(m, answer, result -> "VERIFIED".equals(result.dataText("CodeVerificationStatus"))
                ? new StepOutcome.Succeeded(Map.of("codeVerificationStatus", "VERIFIED"), "register", Map.of())
                : StepOutcome.succeeded(Map.of("codeVerificationStatus",
                    String.valueOf(result.dataText("CodeVerificationStatus")))));
    }

    /** {@code request-code}: the code is on its way; the next step waits for it. */
    public StepOutcome codeRequested(Migration m, Object answer) {
        return interpret(m, answer, result -> StepOutcome.succeeded());
    }

    /** {@code verify}: a wrong code goes back to the wait (bounded); anything else as classified. */
    public StepOutcome verified(Migration m, Object answer) {
        if (answer instanceof CamsResult result && !result.success() && classifier.isWrongCode(result.error())) {
            return codeWait.wrongCode(m, result.error());
        }
        return interpret(m, answer, result -> StepOutcome.succeeded());
    }

    /** {@code register}: the number and its approved templates now belong to this WABA. */
    public StepOutcome registered(Migration m, Object answer) {
        return interpret(m, answer, result -> StepOutcome.succeeded());
    }

    /**
     * {@code register} after a restart cut its call off: the number listing says whether it took effect.
     *
     * @return the outcome, or null when the number is not registered and register must be sent
     */
    public StepOutcome confirmRegistered(Migration m, Object answer, String listing) {
        if (answer instanceof StepOutcome given) {
            return given;
        }
        CamsResult result = (CamsResult) answer;
        if (!result.success()) {
            return retryPolicy.outcomeFor(result.error(), m);
        }
        try {
            for (JsonNode number : JSON.readTree(listing).path("PhoneNumbers")) {
                if (m.getPhoneE164().equals(number.path("PhoneNumber").asText())
                        && "CONNECTED".equals(number.path("Status").asText())) {
                    return StepOutcome.succeeded(Map.of("alibabaNumberStatus", "CONNECTED"));
                }
            }
        } catch (java.io.IOException e) {
            return retryPolicy.outcomeFor(ProviderError.of("alibaba", "MALFORMED_RESPONSE",
                    "unreadable number listing", ErrorClass.TRANSIENT), m);
        }
        return null;
    }

    private StepOutcome interpret(Migration m, Object answer, Function<CamsResult, StepOutcome> onSuccess) {
        if (answer instanceof StepOutcome given) {
            return given;
        }
        CamsResult result = (CamsResult) answer;
        return result.success() ? onSuccess.apply(result) : retryPolicy.outcomeFor(result.error(), m);
    }

}
