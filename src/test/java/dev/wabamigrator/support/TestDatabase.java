package dev.wabamigrator.support;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import org.flywaydb.core.Flyway;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * A fresh, empty database for one test: H2 in memory, or a new schema on the PostgreSQL at 127.0.0.1:5432
 * ({@code TEST_PG_URL} overrides). Without PostgreSQL the PostgreSQL tests are skipped loudly, except in CI
 * ({@code CI=true}), where they fail.
 */
public record TestDatabase(String kind, String url, String user, String password) {
    static final String PG_BASE = System.getenv().getOrDefault("TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    static final String PG_USER = System.getenv().getOrDefault("TEST_PG_USER", "postgres");
    static final String PG_PASSWORD = System.getenv().getOrDefault("TEST_PG_PASSWORD", "");

    public static TestDatabase h2() {
        return new TestDatabase("h2", "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "", "");
    }

    /** An H2 file database, for tests that restart the application (a child JVM). */
    public static TestDatabase h2File(java.nio.file.Path dir) {
        return new TestDatabase("h2", "jdbc:h2:file:" + dir.resolve("db").toAbsolutePath() + ";LOCK_TIMEOUT=10000;WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE", "", "");
    }

    public static TestDatabase postgres() {
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection connection = DriverManager.getConnection(PG_BASE, PG_USER, PG_PASSWORD);
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            String message = "PostgreSQL is not reachable at " + PG_BASE + " (" + e.getMessage() + ")";
            if (requirePostgres()) {
                throw new IllegalStateException(message + ": required in CI", e);
            }
            System.err.println("\n*** SKIPPING PostgreSQL TEST: " + message + " ***\n");
            Assumptions.abort(message);
        }
        String separator = PG_BASE.contains("?") ? "&" : "?";
        return new TestDatabase("postgresql", PG_BASE + separator + "currentSchema=" + schema, PG_USER, PG_PASSWORD);
    }

    public static TestDatabase of(String kind) {
        return "postgresql".equals(kind) ? postgres() : h2();
    }

    static boolean requirePostgres() {
        return "true".equalsIgnoreCase(System.getenv("CI")) || Boolean.getBoolean("app.test.require-postgres");
    }

    /** A connection pool on this database with the service's schema (Flyway), for tests of the stores alone. */
    public HikariDataSource migratedPool() {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(url);
        dataSource.setUsername(user);
        dataSource.setPassword(password);
        dataSource.setMaximumPoolSize(4);
        dataSource.setConnectionTimeout(2000);
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
        return dataSource;
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url, user, password);
    }

    /** The number a {@code SELECT COUNT(*) ...} answers. */
    public int count(String query) throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(query)) {
            rows.next();
            return rows.getInt(1);
        }
    }

    /** The first column of every row a query answers, in its order. */
    public List<String> strings(String query) throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(query)) {
            List<String> values = new ArrayList<>();
            while (rows.next()) {
                values.add(rows.getString(1));
            }
            return values;
        }
    }

    public void execute(String sql) throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
