package dev.wabamigrator.app;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.wabamigrator.store.Sql;
import java.nio.file.Path;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.flywaydb.core.Flyway;

/** The database: H2 in the data directory unless DB_URL is set, migrated by Flyway, its pools and readiness. */
public final class DatabaseConfiguration implements CamelConfiguration {
    @PropertyInject("app.data-dir")
    private String dataDir;
    @PropertyInject(value = "app.db.url", defaultValue = "")
    private String url;
    @PropertyInject(value = "app.db.user", defaultValue = "")
    private String user;
    @PropertyInject(value = "app.db.password", defaultValue = "")
    private String password;
    @PropertyInject("app.db.pool-size")
    private int poolSize;

    @Override
    public void configure(CamelContext context) throws Exception {
        Resources.wire(context, resources -> {
            HikariDataSource dataSource = resources.add(dataSource());
            Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
            context.getRegistry().bind("dataSource", dataSource);
            context.getRegistry().bind("sql", new Sql(dataSource));
            HikariDataSource healthDataSource = resources.add(healthDataSource(dataSource));
            context.getRegistry().bind("databaseHealthCheck", new DatabaseHealthCheck(healthDataSource));
        });
    }

    /** The H2 database the service uses in {@code dataDir} when no DB_URL is set. */
    public static String embeddedH2Url(Path dataDir) {
        return "jdbc:h2:file:" + dataDir.resolve("db").resolve("waba-migrator").toAbsolutePath()
                // WRITE_DELAY=0: a commit is on disk before it returns (kill -9 loses nothing);
                // DB_CLOSE_ON_EXIT=FALSE: the pool closes the database after the routes stopped, not H2's hook
                + ";LOCK_TIMEOUT=10000;WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE";
    }

    private HikariDataSource dataSource() {
        HikariConfig config = new HikariConfig();
        String jdbcUrl = url.strip();
        if (jdbcUrl.isEmpty()) {
            jdbcUrl = embeddedH2Url(Path.of(dataDir.strip()));
        }
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user.strip());
        config.setPassword(password.strip());
        config.setMaximumPoolSize(poolSize);
        config.setPoolName("waba-db");
        return new HikariDataSource(config);
    }

    /**
     * One connection of its own for the readiness check, failing within a second: borrowed from the main pool it
     * would wait the pool's connection timeout while the database is down (the probe gives up first and never sees
     * DOWN), and could report DOWN when the pool is merely busy under load.
     */
    private static HikariDataSource healthDataSource(HikariDataSource main) {
        HikariConfig config = new HikariConfig();
        main.copyStateTo(config);
        config.setPoolName("waba-db-health");
        config.setMaximumPoolSize(1);
        config.setConnectionTimeout(1000);
        config.setValidationTimeout(1000);
        config.setInitializationFailTimeout(-1); // the check reports a database that is down; start-up does not wait
        return new HikariDataSource(config);
    }
}
