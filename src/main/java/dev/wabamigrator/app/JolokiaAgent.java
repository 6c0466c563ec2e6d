package dev.wabamigrator.app;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import org.jolokia.jvmagent.JolokiaServer;
import org.jolokia.jvmagent.JolokiaServerConfig;
import org.jolokia.server.core.restrictor.RestrictorFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Jolokia agent (JMX over HTTP, for Hawtio), locked down: HTTP basic authentication always, and the allow-list
 * policy {@code jolokia-access.xml} (reads for Hawtio, route start/stop, nothing that runs code or dumps the heap).
 * Without configured credentials a password is generated into the data directory, readable by its owner only;
 * on a host other than loopback the credentials must be configured.
 */
final class JolokiaAgent {
    private static final Logger LOG = LoggerFactory.getLogger(JolokiaAgent.class);
    static final String DEFAULT_USER = "admin";
    static final String PASSWORD_FILE = "jolokia.password";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final String host;
    private final String port;
    private final String user;
    private final String password;
    private final String passwordSource;
    private final String policy;

    private JolokiaAgent(String host, String port, String user, String password, String passwordSource, String policy) {
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
        this.passwordSource = passwordSource;
        this.policy = policy;
    }

    /**
     * Checks the settings before anything starts: the policy must load, and a host reachable from other machines
     * needs a configured password (a generated one would only be readable on this machine anyway).
     */
    static JolokiaAgent configure(Settings settings, Path dataDir) throws IOException {
        String host = settings.require("app.jolokia.host");
        String user = settings.get("app.jolokia.user", "");
        String password = settings.get("app.jolokia.password", "");
        String policy = settings.require("app.jolokia.policy");
        if (RestrictorFactory.lookupPolicyRestrictor(policy) == null) {
            // Jolokia itself would fall back to allowing everything
            throw new IllegalStateException("Jolokia access policy " + policy + " not found: refusing to start "
                    + "Jolokia without it");
        }
        if (password.isEmpty()) {
            if (!isLoopback(host)) {
                throw new IllegalStateException("Jolokia on " + host + " is reachable from other machines: set "
                        + "JOLOKIA_PASSWORD (app.jolokia.password; user JOLOKIA_USER, default admin), or keep "
                        + "JOLOKIA_HOST on 127.0.0.1");
            }
            Path file = dataDir.resolve(PASSWORD_FILE).toAbsolutePath().normalize();
            return new JolokiaAgent(host, settings.require("app.jolokia.port"), user.isEmpty() ? DEFAULT_USER : user,
                    generatedPassword(file), "generated, in " + file, policy);
        }
        return new JolokiaAgent(host, settings.require("app.jolokia.port"), user.isEmpty() ? DEFAULT_USER : user,
                password, "from JOLOKIA_PASSWORD", policy);
    }

    AutoCloseable start() throws IOException {
        JolokiaServerConfig config = new JolokiaServerConfig(Map.of(
                "host", host,
                "port", port,
                "agentContext", "/jolokia",
                "discoveryEnabled", "false",
                "authMode", "basic",
                // basic authentication that also tells the MBeans who is calling (operator actions record it)
                "authClass", JolokiaUserAuthenticator.class.getName(),
                "realm", "waba-migrator",
                "user", user,
                "password", password,
                "policyLocation", policy));
        JolokiaServer server = new JolokiaServer(config);
        server.start();
        LOG.info("Jolokia (for Hawtio) on {}: user {}, password {}; access policy {}", server.getUrl(), user,
                passwordSource, policy);
        return server::stop;
    }

    static boolean isLoopback(String host) {
        try {
            for (InetAddress address : InetAddress.getAllByName(host)) {
                if (!address.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            throw new IllegalStateException("Jolokia host " + host + " does not resolve", e);
        }
    }

    /**
     * The password in {@code file}, made on first start: 256 random bits, in a file created owner-only
     * (never widened and narrowed after), so only this account can read it. Later starts reuse it.
     */
    static String generatedPassword(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        if (!Files.exists(file)) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                Files.writeString(file, password + "\n", StandardCharsets.UTF_8);
                return password;
            } catch (FileAlreadyExistsException raced) {
                // another instance on the same data directory made it first: use theirs
            } catch (UnsupportedOperationException notPosix) {
                Files.writeString(file, password + "\n", StandardCharsets.UTF_8); // e.g. Windows: ACLs of the folder
                return password;
            }
        }
        warnIfOthersCanRead(file);
        String password = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (password.isEmpty()) {
            throw new IllegalStateException("Jolokia password file " + file + " is empty: delete it to get a new one");
        }
        return password;
    }

    private static void warnIfOthersCanRead(Path file) throws IOException {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (!OWNER_ONLY.containsAll(permissions)) {
                LOG.warn("Jolokia password file {} is {}: anyone who can read it can use Jolokia; chmod 600 it",
                        file, PosixFilePermissions.toString(permissions));
            }
        } catch (UnsupportedOperationException notPosix) {
            // no POSIX modes to check
        }
    }
}
