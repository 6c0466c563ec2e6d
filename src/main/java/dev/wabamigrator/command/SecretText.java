package dev.wabamigrator.command;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.util.regex.Pattern;

/** Keeps secrets out of text that leaves intake (dead-letter headers, logs) when it may quote a record. */
final class SecretText {
    /** {@code "pin": "123456"}, {@code code=1234}, ...: a secret-named property and its value. */
    private static final Pattern SECRET_VALUE = Pattern.compile(
            "(?i)(\"?\\b(?:pin|code|verifyCode|verificationCode|token|accessToken|access_token|secret|password)\"?\\s*[:=]\\s*)"
                    + "(\"(?:[^\"\\\\]|\\\\.)*\"?|[^\\s,;}\\]]+)");
    /** A token the JSON parser quotes from the input, e.g. {@code Unrecognized token '123456abc'}. */
    private static final Pattern QUOTED_TOKEN = Pattern.compile("'(?!null'|true'|false')[^']{2,}'");
    /** Where an unclosed object started: the parser's own location text, which we give once, at the end. */
    private static final Pattern START_MARKER = Pattern.compile("\\s*\\(start marker at .*");

    private SecretText() {
    }

    /** The text with the value of every secret-named property replaced by {@code ***}. */
    static String scrub(String text) {
        return text == null ? null : SECRET_VALUE.matcher(text).replaceAll("$1***");
    }

    /** Why bytes are not JSON, and where, without quoting them. */
    static String parseProblem(IOException e) {
        if (!(e instanceof JsonProcessingException parse)) {
            return e.getClass().getSimpleName();
        }
        String message = parse.getOriginalMessage() == null ? "unreadable" : parse.getOriginalMessage();
        int newline = message.indexOf('\n');
        message = newline < 0 ? message : message.substring(0, newline);
        message = START_MARKER.matcher(message).replaceAll("");
        message = scrub(QUOTED_TOKEN.matcher(message).replaceAll("'...'"));
        message = Bounds.echo(message, 200);
        JsonLocation at = parse.getLocation();
        return at == null ? message : message + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
}
