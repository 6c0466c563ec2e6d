package dev.wabamigrator.sandbox;

import java.util.LinkedHashMap;
import java.util.Map;

/** One answer of a sandbox: status, content type, body and extra headers (which may override the content type). */
record SandboxReply(int status, String contentType, String body, Map<String, String> headers) {

    SandboxReply {
        headers = Map.copyOf(headers);
    }

    /** The same answer with {@code more} headers added where not already set. */
    SandboxReply withDefaultHeaders(Map<String, String> more) {
        Map<String, String> merged = new LinkedHashMap<>(headers);
        more.forEach(merged::putIfAbsent);
        return new SandboxReply(status, contentType, body, merged);
    }
}
