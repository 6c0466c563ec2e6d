package dev.wabamigrator.app;

import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.camel.CamelContext;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the configurations open (the embedded broker, the admin client, the pools, the sandbox, Jolokia), closed in
 * reverse order when Camel stops, after the routes. One per CamelContext, shared by the configurations in the order
 * {@link Application#create()} adds them.
 */
final class Resources extends ServiceSupport {
    private static final Logger LOG = LoggerFactory.getLogger(Resources.class);
    private final Deque<AutoCloseable> open = new ArrayDeque<>();

    /** One configuration's wiring: what it opens goes into {@code resources}. */
    interface Wiring {
        void wire(Resources resources) throws Exception;
    }

    /** Runs {@code wiring}; if it fails, closes everything opened so far, by this configuration or an earlier one. */
    static void wire(CamelContext context, Wiring wiring) throws Exception {
        Resources resources = context.hasService(Resources.class);
        if (resources == null) {
            resources = new Resources();
            context.addService(resources, true, true);
        }
        try {
            wiring.wire(resources);
        } catch (Exception | Error e) {
            resources.closeAll(); // an embedded broker left running would keep the JVM alive after a failed start
            throw e;
        }
    }

    <T extends AutoCloseable> T add(T resource) {
        open.push(resource);
        return resource;
    }

    @Override
    protected void doStop() {
        closeAll();
    }

    void closeAll() {
        while (!open.isEmpty()) {
            try {
                open.pop().close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", e.getClass().getSimpleName(), e.getMessage());
            }
        }
    }
}
