package dev.wabamigrator.sandbox;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The Graph {@code fields} parameter. */
final class GraphFields {

    private GraphFields() {
    }

    /** Top-level names of a {@code fields} list ({@code a,b{c,d},e} → a, b, e, id); the defaults when absent. */
    static Set<String> parse(String spec, String... defaults) {
        Set<String> out = new LinkedHashSet<>();
        if (spec == null || spec.isBlank()) {
            out.addAll(List.of(defaults));
            return out;
        }
        int depth = 0;
        StringBuilder cur = new StringBuilder();
        for (char c : spec.toCharArray()) {
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(cur.toString().trim());
                cur.setLength(0);
            } else if (depth == 0) {
                cur.append(c);
            }
        }
        out.add(cur.toString().trim());
        out.add("id");
        out.remove("");
        return out;
    }
}
