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
 * What each ALIBABA_CHATAPP step makes of its cams answer (bean {@code alibabaChatappSteps}). A call that failed
 * outright (given up on after redeliveries, paused) never reaches these methods: the step's error handler records
 * its outcome (error-handling.camel.yaml).
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
    public StepOutcome initiated(Migration m, CamsResult answer) {
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

    /**
     * {@code check-verification}: a number verified within 14 days skips the code steps. Keeps {@code Data.Id} when
     * the initiate's own answer was lost (its read-back, the number listing, carries no Id).
     *
     * @param verifiedStep the step a verified number skips to, named by the route
     */
    public StepOutcome verificationChecked(Migration m, CamsResult answer, String verifiedStep) {
        return interpret(m, answer, result -> {
            Map<String, String> kept = new java.util.HashMap<>();
            kept.put("codeVerificationStatus", String.valueOf(result.dataText("CodeVerificationStatus")));
            if (m.result("alibabaPhoneNumberId") == null && result.dataText("Id") != null) {
                kept.put("alibabaPhoneNumberId", result.dataText("Id"));
            }
            return "VERIFIED".equals(result.dataText("CodeVerificationStatus"))
                    ? new StepOutcome.Succeeded(kept, verifiedStep, Map.of())
                    : StepOutcome.succeeded(kept);
        });
    }

    /** {@code request-code}: the code is on its way; the next step waits for it. */
    public StepOutcome codeRequested(Migration m, CamsResult answer) {
        return interpret(m, answer, result -> StepOutcome.succeeded());
    }

    /**
     * {@code verify}: a wrong code goes back to the wait (bounded); anything else as classified.
     *
     * @param waitStep the code wait's step, named by the route
     */
    public StepOutcome verified(Migration m, CamsResult answer, String waitStep) {
        if (!answer.success() && classifier.isWrongCode(answer.error())) {
            return codeWait.wrongCode(m, answer.error(), waitStep);
        }
        return interpret(m, answer, result -> StepOutcome.succeeded());
    }

    /** {@code register}: the number and its approved templates now belong to this WABA. */
    public StepOutcome registered(Migration m, CamsResult answer) {
        return interpret(m, answer, result -> StepOutcome.succeeded());
    }

    /**
     * {@code initiate} read back after its answer was lost: the space's number listing names the number once the
     * initiate took effect.
     *
     * @return the outcome, or null when the number is not listed and the initiate must be sent again
     */
    public StepOutcome confirmInitiated(Migration m, CamsResult answer, String listing) {
        return readBack(m, answer, listing, status -> StepOutcome.succeeded(Map.of("alibabaNumberStatus", status)));
    }

    /**
     * {@code register} read back after its answer was lost: {@code CONNECTED} means it took effect; {@code PENDING}
     * is not settled (read again later, then a person); any other status, or not listed, means it did not.
     *
     * @return the outcome, or null when the number is not registered and register must be sent again
     */
    public StepOutcome confirmRegistered(Migration m, CamsResult answer, String listing) {
        return readBack(m, answer, listing, status -> switch (status) {
            case "CONNECTED" -> StepOutcome.succeeded(Map.of("alibabaNumberStatus", status));
            case "PENDING" -> retryPolicy.readBackInconclusive(m, "QueryChatappPhoneNumbers shows the number PENDING");
            default -> null;
        });
    }

    /**
     * Finds the migration's number in a {@code QueryChatappPhoneNumbers} answer. The documented request has no
     * paging parameters (IsvCode, CustSpaceId, Status; provider-apis.md §1.4): one answer lists every number.
     *
     * @param listed what the number's {@code Status} means; not called when the number is not listed
     * @return the outcome, or null when the number is not listed (or {@code listed} says the call must be sent again)
     */
    private StepOutcome readBack(Migration m, CamsResult answer, String listing,
                                 Function<String, StepOutcome> listed) {
        if (!answer.success()) {
            return retryPolicy.outcomeFor(answer.error(), m); // the call stays in doubt
        }
        JsonNode numbers;
        try {
            numbers = JSON.readTree(listing).path("PhoneNumbers");
        } catch (java.io.IOException | RuntimeException e) {
            return retryPolicy.readBackInconclusive(m, "the number listing was unreadable");
        }
        if (!numbers.isArray()) {
            return retryPolicy.readBackInconclusive(m, "the number listing had no PhoneNumbers");
        }
        for (JsonNode number : numbers) {
            if (m.getPhoneE164().equals(number.path("PhoneNumber").asText())) {
                return listed.apply(number.path("Status").asText(""));
            }
        }
        return null;
    }

    private StepOutcome interpret(Migration m, CamsResult answer, Function<CamsResult, StepOutcome> onSuccess) {
        return answer.success() ? onSuccess.apply(answer) : retryPolicy.outcomeFor(answer.error(), m);
    }

}
