package dev.wabamigrator.sandbox;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Scripted faults on one call ({@code POST /meta-sandbox/faults}): the next calls of an operation for a number (its
 * E.164 digits) or an object id are answered with a {@link MetaSandbox.Fault}, after or instead of their effect.
 * Guarded by the state's lock.
 */
final class MetaFaults {

    /** A scripted answer: the fault, and whether the call takes effect before it is answered. */
    record Script(MetaSandbox.Fault fault, boolean afterEffect) {
    }

    private final Map<String, Deque<Script>> scripts = new HashMap<>(); // op|key -> next answers, in order

    void add(String op, String key, MetaSandbox.Fault fault, boolean afterEffect, int times) {
        Deque<Script> queue = scripts.computeIfAbsent(op + "|" + digitsOrId(key), k -> new ArrayDeque<>());
        for (int i = 0; i < times; i++) {
            queue.add(new Script(fault, afterEffect));
        }
    }

    /** Takes the next scripted answer of this call, by its number, else by the id in its path; null when none. */
    Script next(String op, String id, String number) {
        for (String key : number == null ? List.of(id) : List.of(number, id)) {
            Deque<Script> queue = scripts.get(op + "|" + key);
            if (queue != null && !queue.isEmpty()) {
                return queue.poll();
            }
        }
        return null;
    }

    void clear() {
        scripts.clear();
    }

    /** A number's digits ("+1 650-555-0101" → "16505550101"); an id stays as it is. */
    private static String digitsOrId(String key) {
        return key.startsWith("+") ? MetaState.digits(key) : key;
    }
}
