package dev.wabamigrator.operations;

import java.security.AccessController;
import java.security.Principal;
import javax.security.auth.Subject;

/** Who is calling an MBean: the authenticated user the caller's JAAS subject carries. */
final class Operator {
    /** The user of an in-process JMX call, which carries no authenticated subject. */
    static final String LOCAL = "local";

    private Operator() {
    }

    /**
     * The Jolokia agent runs each request as the subject of its authenticated user (JolokiaUserAuthenticator), and a
     * JMX connector runs each call as its authenticated principal; without either the caller is {@link #LOCAL}.
     */
    @SuppressWarnings("removal") // Subject.current() replaces this in Java 18+; the target is 17
    static String current() {
        Subject subject = Subject.getSubject(AccessController.getContext());
        if (subject != null) {
            for (Principal principal : subject.getPrincipals()) {
                if (principal.getName() != null && !principal.getName().isBlank()) {
                    return principal.getName();
                }
            }
        }
        return LOCAL;
    }
}
