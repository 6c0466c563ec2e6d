package dev.wabamigrator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The split intake relies on, against the real databases: values the database refuses are {@link Sql.RefusedValue}
 * (the record's fault: never retried), a database that cannot be reached is a plain {@link Sql.SqlFailure} (held
 * and retried).
 */
class SqlFailureSplitTest {

    private static Map<String, Object> processedCommand(String commandId, String type) {
        Map<String, Object> params = new HashMap<>();
        params.put("commandId", commandId);
        params.put("commandType", type);
        params.put("migrationId", "m-1");
        params.put("outcome", "APPLIED");
        params.put("now", Instant.now());
        return params;
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void refused_values_are_the_records_fault(String kind) {
        try (HikariDataSource dataSource = TestDatabase.of(kind).migratedPool()) {
            Sql sql = new Sql(dataSource);

            assertThatThrownBy(() -> sql.update("insert-processed-command", processedCommand("c-long", "T".repeat(41))))
                    .isInstanceOfSatisfying(Sql.RefusedValue.class, e -> {
                        assertThat(e.sqlState()).isEqualTo("22001");
                        assertThat(e.describe()).contains("longer than its column").doesNotContain("TTTT");
                    });

            sql.update("insert-processed-command", processedCommand("c-twice", "StartMigration"));
            assertThatThrownBy(() -> sql.update("insert-processed-command", processedCommand("c-twice", "StartMigration")))
                    .isInstanceOfSatisfying(Sql.RefusedValue.class, e -> assertThat(e.isConstraintViolation()).isTrue());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql"})
    void text_postgresql_cannot_store_is_the_records_fault(String kind) {
        try (HikariDataSource dataSource = TestDatabase.of(kind).migratedPool()) {
            Sql sql = new Sql(dataSource);

            assertThatThrownBy(() -> sql.update("insert-processed-command", processedCommand("c-nul", "Start\u0000")))
                    .isInstanceOfSatisfying(Sql.RefusedValue.class, e -> assertThat(e.sqlState()).isEqualTo("22021"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void a_database_out_of_reach_is_not(String kind) throws Exception {
        try (HikariDataSource working = TestDatabase.of(kind).migratedPool();
             HikariDataSource gone = new HikariDataSource()) {
            // nothing listens on this port: the way an outage looks to a new connection
            gone.setJdbcUrl("jdbc:postgresql://127.0.0.1:" + TestApp.freePort() + "/test");
            gone.setUsername("postgres");
            gone.setConnectionTimeout(500);
            gone.setInitializationFailTimeout(-1);
            Switchable dataSource = new Switchable(working);
            Sql sql = new Sql(dataSource); // reads the dialect while the database is there
            dataSource.target = gone;

            assertThatThrownBy(() -> sql.update("insert-processed-command", processedCommand("c-down", "StartMigration")))
                    .isExactlyInstanceOf(Sql.SqlFailure.class);
        }
    }

    /** Hands out connections of whichever real data source it points at. */
    private static final class Switchable implements DataSource {
        volatile DataSource target;

        Switchable(DataSource target) {
            this.target = target;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return target.getConnection();
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            return target.getConnection(user, password);
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return target.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            target.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            target.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return target.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            return target.unwrap(type);
        }

        @Override
        public boolean isWrapperFor(Class<?> type) throws SQLException {
            return target.isWrapperFor(type);
        }
    }
}
