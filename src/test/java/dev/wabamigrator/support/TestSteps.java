package dev.wabamigrator.support;

import dev.wabamigrator.engine.CallOutcomeUnknownException;
import dev.wabamigrator.engine.CodeWait;
import dev.wabamigrator.engine.ErrorClass;
import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.ProviderError;
import dev.wabamigrator.engine.StepOutcome;
import dev.wabamigrator.engine.TransientProviderException;
import java.time.Duration;
import java.util.Map;
import org.apache.camel.CamelContext;

/** Classifies the test provider's answers the way a real provider step would (bean {@code testSteps}). */
public final class TestSteps {
    private final CamelContext context;

    public TestSteps(CamelContext context) {
        this.context = context;
    }

    public StepOutcome outcome(Migration m, int status, String body) {
        if (status >= 500 || status == 200 && (body == null || !body.startsWith("{"))) {
            // like a real provider client: a 5xx or an unreadable 2xx does not say whether the call took effect
            throw new CallOutcomeUnknownException(ProviderError.of("test", status == 200 ? "MALFORMED_RESPONSE"
                    : "HTTP_" + status, "no definite answer", ErrorClass.TRANSIENT));
        }
        m.callAnswered();
        return switch (status) {
            case 200 -> StepOutcome.succeeded(Map.of(m.getStep() + "Id", m.getStep() + "-" + m.getMigrationId()));
            case 429 -> throw new TransientProviderException(new ProviderError("test", "HTTP_429", "slow down",
                    ErrorClass.RATE_LIMITED, Duration.ofMillis(50), "trace-429"));
            case 403 -> new StepOutcome.NeedsHuman(ProviderError.of("test", "HTTP_403", "permission missing",
                    ErrorClass.NEEDS_HUMAN), "grant the permission, then resume");
            default -> new StepOutcome.Failed(ProviderError.of("test", "HTTP_" + status, "refused",
                    ErrorClass.PERMANENT));
        };
    }

    /** The test provider's verify: {@code 000000} is the wrong code. */
    public StepOutcome verify(Migration m, String waitStep) {
        CodeWait codeWait = context.getRegistry().lookupByNameAndType("codeWait", CodeWait.class);
        if ("000000".equals(codeWait.code(m))) {
            return codeWait.wrongCode(m, ProviderError.of("test", "WRONG_CODE", "the code does not match",
                    ErrorClass.NEEDS_HUMAN), waitStep);
        }
        return StepOutcome.succeeded();
    }

    /** Reconciliation after a crash mid-call: did the call reach the provider? */
    public boolean done(String body) {
        return body != null && body.contains("\"done\":true");
    }
}
