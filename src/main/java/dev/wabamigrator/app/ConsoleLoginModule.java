package dev.wabamigrator.app;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.Principal;
import java.util.Arrays;
import java.util.Map;
import javax.security.auth.Subject;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.login.FailedLoginException;
import javax.security.auth.login.LoginException;
import javax.security.auth.spi.LoginModule;

/**
 * The console's login (JAAS realm {@value Console#REALM}, used by Hawtio's login page): the service's own Jolokia
 * user and password, so the console lets in exactly those who could call the service's Jolokia directly.
 */
public final class ConsoleLoginModule implements LoginModule {
    static final String USER = "user";
    static final String PASSWORD = "password";

    private Subject subject;
    private CallbackHandler callbacks;
    private String user;
    private byte[] password;
    private Principal principal;

    @Override
    public void initialize(Subject subject, CallbackHandler callbackHandler, Map<String, ?> sharedState,
                           Map<String, ?> options) {
        this.subject = subject;
        this.callbacks = callbackHandler;
        this.user = (String) options.get(USER);
        this.password = ((String) options.get(PASSWORD)).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean login() throws LoginException {
        NameCallback name = new NameCallback("user");
        PasswordCallback secret = new PasswordCallback("password", false);
        try {
            callbacks.handle(new Callback[] {name, secret});
        } catch (Exception e) {
            throw new LoginException("cannot read the credentials: " + e.getMessage());
        }
        char[] given = secret.getPassword() == null ? new char[0] : secret.getPassword();
        byte[] givenBytes = new String(given).getBytes(StandardCharsets.UTF_8);
        secret.clearPassword();
        // both compared in full whatever the first one says: no timing hint about either
        boolean userMatches = MessageDigest.isEqual(String.valueOf(name.getName()).getBytes(StandardCharsets.UTF_8),
                user.getBytes(StandardCharsets.UTF_8));
        boolean passwordMatches = MessageDigest.isEqual(givenBytes, password);
        Arrays.fill(givenBytes, (byte) 0);
        if (!(userMatches && passwordMatches)) {
            throw new FailedLoginException("wrong user or password");
        }
        principal = new Operator(user);
        return true;
    }

    @Override
    public boolean commit() {
        if (principal != null) {
            subject.getPrincipals().add(principal);
        }
        return principal != null;
    }

    @Override
    public boolean abort() {
        principal = null;
        return true;
    }

    @Override
    public boolean logout() {
        if (principal != null) {
            subject.getPrincipals().remove(principal);
        }
        principal = null;
        return true;
    }

    /** The logged-in user, as Hawtio shows it. */
    record Operator(String getName) implements Principal {
    }
}
