package dev.wabamigrator.provider.meta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.wabamigrator.engine.ProviderError;
import dev.wabamigrator.provider.meta.MetaErrorClassifier.AutoFix;

/**
 * One classified Graph answer, as the step beans see it. {@link #toString()} leaves the body out: a token fetch
 * answers with the customer's business token.
 *
 * @param call           the call that was made
 * @param httpStatus     the HTTP status
 * @param body           the parsed JSON body ({@link MissingNode} when there was none)
 * @param classification what {@link MetaErrorClassifier} made of it
 * @param businessToken  true when the call carried the customer's business token (a 190 then means: fetch it again)
 */
public record GraphResult(GraphCall call, int httpStatus, JsonNode body, MetaErrorClassifier.Result classification,
                          boolean businessToken) {

    public GraphResult {
        body = body == null ? MissingNode.getInstance() : body;
    }

    public boolean success() {
        return classification.isSuccess();
    }

    /** 2388012 on migrate: the number is already in the destination WABA. */
    public boolean alreadyDone() {
        return classification.isAlreadyDone();
    }

    /** The classified error, or null on success. */
    public ProviderError error() {
        return classification.error();
    }

    public AutoFix autoFix() {
        return classification.autoFix();
    }

    /** A top-level text field of the body, or null. */
    public String text(String field) {
        JsonNode value = body.get(field);
        return value == null || value.isNull() || value.isContainerNode() ? null : value.asText();
    }

    /** True when the Graph error code (before any subcode) is {@code code}. */
    public boolean hasErrorCode(int code) {
        ProviderError error = error();
        return error != null && error.code().split("/", 2)[0].equals(Integer.toString(code));
    }

    @Override
    public String toString() {
        return "GraphResult[" + call + " HTTP " + httpStatus + " " + classification.rule() + "]";
    }
}
