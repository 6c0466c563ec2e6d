package dev.wabamigrator.app;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.AppConfigurationEntry.LoginModuleControlFlag;
import javax.security.auth.login.Configuration;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.server.handler.MovedContextHandler;
import org.eclipse.jetty.util.ClassMatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --console}: Hawtio 4 (its web application, {@code lib/hawtio.war} beside the jar) on embedded Jetty at
 * http://127.0.0.1:8080/hawtio, already connected to a running service's Jolokia agent.
 *
 * <p>A process of its own, not part of the service: the service keeps no web console, no second Jolokia and no
 * Hawtio MBeans, and the console can be started, stopped or pointed at another instance without touching it.
 * Hawtio's own Jolokia endpoint ({@code /hawtio/jolokia}) is replaced by a proxy to the service's agent, so Hawtio
 * shows the service as if it ran inside it; Hawtio's remote-connection proxy is switched off, so the console
 * reaches that one agent and nothing else. One login: the service's Jolokia user and password.
 */
final class Console {
    private static final Logger LOG = LoggerFactory.getLogger(Console.class);
    static final String REALM = "waba-migrator";
    static final String HAWTIO_PATH = "/hawtio";
    /** The name of Hawtio's Jolokia servlet in its web.xml, mapped to /jolokia/*. */
    private static final String HAWTIO_JOLOKIA_SERVLET = "jolokia-agent";

    private final int port;
    private final URI jolokia;
    private final String user;
    private final String password;
    private final String passwordSource;
    private final Path war;

    private Console(int port, URI jolokia, String user, String password, String passwordSource, Path war) {
        this.port = port;
        this.jolokia = jolokia;
        this.user = user;
        this.password = password;
        this.passwordSource = passwordSource;
        this.war = war;
    }

    /** Runs until the process is stopped. */
    static int run(Map<String, String> env) throws Exception {
        Console console = configure(env, defaultWar());
        Server server = console.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.stop();
            } catch (Exception e) {
                LOG.warn("console did not stop cleanly", e);
            }
        }, "console-stop"));
        server.join();
        return 0;
    }

    /**
     * The settings of the service it watches, from the same environment variables the service reads: its Jolokia
     * on JOLOKIA_HOST:JOLOKIA_PORT with JOLOKIA_USER and JOLOKIA_PASSWORD, or the password the service generated
     * into DATA_DIR. The console listens on 127.0.0.1:CONSOLE_PORT.
     */
    static Console configure(Map<String, String> env, Path war) throws IOException, URISyntaxException {
        if (!Files.isRegularFile(war)) {
            throw new IllegalStateException("Hawtio's web application " + war + " is missing: build with "
                    + "'mvn -DskipTests package' (it copies it to target/lib/hawtio.war)");
        }
        String host = value(env, "JOLOKIA_HOST", "127.0.0.1");
        int jolokiaPort = Integer.parseInt(value(env, "JOLOKIA_PORT", "8778"));
        String user = value(env, "JOLOKIA_USER", JolokiaAgent.DEFAULT_USER);
        String password = value(env, "JOLOKIA_PASSWORD", "");
        String source = "in JOLOKIA_PASSWORD";
        if (password.isEmpty()) {
            Path file = Path.of(value(env, "DATA_DIR", "./data")).resolve(JolokiaAgent.PASSWORD_FILE)
                    .toAbsolutePath().normalize();
            if (!Files.isReadable(file)) {
                throw new IllegalStateException("No Jolokia password: " + file + " is not there (the service writes "
                        + "it on its first start; set DATA_DIR to the service's) and JOLOKIA_PASSWORD is not set");
            }
            password = Files.readString(file, StandardCharsets.UTF_8).trim();
            source = "in " + file;
        }
        return new Console(Integer.parseInt(value(env, "CONSOLE_PORT", "8080")),
                new URI("http", null, host, jolokiaPort, "/jolokia", null, null), user, password, source, war);
    }

    /** Starts Jetty with Hawtio; the returned server is running. */
    Server start() throws Exception {
        // Hawtio reads its settings from system properties; this JVM runs the console only
        System.setProperty("hawtio.authenticationEnabled", "true");
        System.setProperty("hawtio.realm", REALM);
        System.setProperty("hawtio.disableProxy", "true");      // no connections to other agents through the console
        System.setProperty("hawtio.localAddressProbing", "false");
        // Hawtio's login checks the service's Jolokia credentials (JAAS realm waba-migrator)
        Configuration.setConfiguration(new Configuration() {
            @Override
            public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
                return REALM.equals(name) ? new AppConfigurationEntry[] {new AppConfigurationEntry(
                        ConsoleLoginModule.class.getName(), LoginModuleControlFlag.REQUIRED,
                        Map.of(ConsoleLoginModule.USER, user, ConsoleLoginModule.PASSWORD, password))} : null;
            }
        });

        Server server = new Server(new InetSocketAddress("127.0.0.1", port));
        // the root sends a browser on to Hawtio, so that http://127.0.0.1:<port>/ works too
        MovedContextHandler root = new MovedContextHandler();
        root.setContextPath("/");
        root.setRedirectURI(HAWTIO_PATH + "/");
        root.setDiscardPathInContext(true);
        root.setStatusCode(302);
        server.setHandler(new ContextHandlerCollection(new HawtioWebApp(), root));
        server.start();
        LOG.info("Hawtio on http://127.0.0.1:{}{}/ for the service's Jolokia at {}: log in as {} with the password {}",
                port, HAWTIO_PATH, jolokia, user, passwordSource);
        return server;
    }

    /** Hawtio's war as it ships, except that its Jolokia endpoint forwards to the service's agent. */
    private final class HawtioWebApp extends WebAppContext {
        HawtioWebApp() {
            setContextPath(HAWTIO_PATH);
            setWar(war.toString());
            setThrowUnavailableOnStartupException(true);
            // Hawtio logs through the console's SLF4J (its own copy would find the console's provider and refuse it)
            addProtectedClassMatcher(new ClassMatcher("org.slf4j."));
        }

        @Override
        protected void startWebapp() throws Exception {
            // web.xml is read by now; its servlets are not started yet
            ServletHolder holder = getServletHandler().getServlet(HAWTIO_JOLOKIA_SERVLET);
            if (holder == null) {
                throw new IllegalStateException("Hawtio's web.xml has no servlet " + HAWTIO_JOLOKIA_SERVLET
                        + ": this Hawtio version is not the one the console was built for");
            }
            holder.setServlet(new ConsoleJolokiaProxy(jolokia, user, password));
            super.startWebapp();
        }
    }

    /** {@code lib/hawtio.war} beside the jar, or beside {@code target/classes} when run from the build. */
    static Path defaultWar() throws URISyntaxException {
        Path codeSource = Path.of(Console.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return codeSource.toAbsolutePath().getParent().resolve("lib").resolve("hawtio.war");
    }

    private static String value(Map<String, String> env, String name, String fallback) {
        String value = env.get(name);
        return value == null || value.isBlank() ? fallback : value.strip();
    }
}
