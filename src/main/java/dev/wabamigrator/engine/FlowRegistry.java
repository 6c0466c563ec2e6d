package dev.wabamigrator.engine;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/** The flows this instance runs, read from the {@code app.flows.<FLOW>=step,step,...} properties. */
public final class FlowRegistry {
    public static final String PREFIX = "app.flows.";

    private final Map<String, FlowDefinition> flows = new TreeMap<>();

    public FlowRegistry(Properties properties) {
        for (String key : properties.stringPropertyNames()) {
            if (key.startsWith(PREFIX)) {
                String name = key.substring(PREFIX.length());
                String[] steps = properties.getProperty(key).split("\\s*,\\s*");
                flows.put(name, new FlowDefinition(name, Arrays.stream(steps).filter(s -> !s.isBlank()).toList()));
            }
        }
    }

    public Optional<FlowDefinition> find(String name) {
        return Optional.ofNullable(flows.get(name));
    }

    public FlowDefinition get(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException("unknown flow " + name));
    }

    public java.util.Set<String> names() {
        return flows.keySet();
    }
}
