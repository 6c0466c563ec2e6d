package dev.wabamigrator.app;

import com.sun.net.httpserver.HttpExchange;
import java.util.Set;
import javax.management.remote.JMXPrincipal;
import javax.security.auth.Subject;
import org.jolokia.jvmagent.security.UserPasswordHttpAuthenticator;
import org.jolokia.server.core.config.ConfigKey;
import org.jolokia.server.core.config.Configuration;

/**
 * Jolokia's basic authentication (the configured user and password), which also hands the authenticated user to
 * the MBeans: Jolokia runs a request under the JAAS subject its authenticator leaves on the exchange, so an MBean
 * reads the user from the calling subject (see {@code dev.wabamigrator.operations.Operator}). Named by class in the
 * agent's {@code authClass} setting; Jolokia builds it with its configuration.
 */
public final class JolokiaUserAuthenticator extends UserPasswordHttpAuthenticator {
    /** The exchange attribute under which the Jolokia JVM agent looks for the subject to run a request as. */
    static final String SUBJECT_ATTRIBUTE = "org.jolokia.jaasSubject";

    public JolokiaUserAuthenticator(Configuration config) {
        super(config.getConfig(ConfigKey.REALM), config.getConfig(ConfigKey.USER), config.getConfig(ConfigKey.PASSWORD));
    }

    @Override
    public Result authenticate(HttpExchange exchange) {
        Result result = super.authenticate(exchange);
        if (result instanceof Success success) {
            // the user name alone: HttpPrincipal's own name is "realm:user"
            exchange.setAttribute(SUBJECT_ATTRIBUTE, new Subject(true,
                    Set.of(new JMXPrincipal(success.getPrincipal().getUsername())), Set.of(), Set.of()));
        }
        return result;
    }
}
