package dev.wabamigrator.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * The named SQL statements of {@code classpath:sql/<name>.sql}, one statement per file, with {@code :param}
 * placeholders. A sibling {@code <name>.<dialect>.sql} wins on that dialect (row claiming differs).
 * Several statements that must change together run in {@link #inTransaction}.
 */
public final class Sql {

    /** Work done on one connection inside one transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Maps the current row of a result set. */
    @FunctionalInterface
    public interface RowMapper<T> {
        T map(ResultSet row) throws SQLException;
    }

    private record Parsed(String jdbc, List<String> names) {
    }

    private final DataSource dataSource;
    private final String dialect;
    private final Map<String, Parsed> statements = new ConcurrentHashMap<>();
    private final ThreadLocal<Shared> shared = new ThreadLocal<>();

    public Sql(DataSource dataSource) {
        this.dataSource = dataSource;
        this.dialect = detectDialect(dataSource);
    }

    /** The pool, for libraries that run their own statements on the shared database (the rate buckets). */
    public DataSource dataSource() {
        return dataSource;
    }

    /** {@code postgresql} or {@code h2}. */
    public String dialect() {
        return dialect;
    }

    /**
     * Runs {@code work} so that every {@link #inTransaction} it makes on this thread joins one transaction: one
     * commit for many small units of work. If one of them fails, the whole is rolled back and
     * {@link SharedTransactionFailed} (or the database's own failure, when the commit itself failed) is thrown: the
     * caller repeats the work unit by unit. What {@link #afterCommit} was given runs only once the whole is committed.
     */
    public <T> T inOneTransaction(java.util.function.Supplier<T> work) {
        if (shared.get() != null) {
            return work.get();
        }
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            Shared unit = new Shared(connection);
            shared.set(unit);
            try {
                T result = work.get();
                if (unit.failure != null) {
                    // a unit of work failed and its failure was caught on the way: what it wrote is not sound
                    throw new SharedTransactionFailed(unit.failure);
                }
                connection.commit();
                shared.remove();
                unit.afterCommit.forEach(Runnable::run);
                return result;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                if (unit.failure != null) {
                    throw new SharedTransactionFailed(unit.failure);
                }
                throw e;
            } finally {
                shared.remove();
                connection.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw SqlFailure.of(e);
        }
    }

    /** Whether this thread is inside {@link #inOneTransaction}, which every transaction it makes joins. */
    boolean inSharedTransaction() {
        return shared.get() != null;
    }

    /** Runs {@code action} once the current transaction of this thread is committed: at once outside one. */
    public void afterCommit(Runnable action) {
        Shared unit = shared.get();
        if (unit == null) {
            action.run();
        } else {
            unit.afterCommit.add(action);
        }
    }

    public <T> T inTransaction(Work<T> work) {
        Shared unit = shared.get();
        if (unit != null) {
            return joined(unit, work);
        }
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw SqlFailure.of(e);
        }
    }

    /** A unit of work inside {@link #inOneTransaction}: on its connection, and spoiling the whole if it fails. */
    private static <T> T joined(Shared unit, Work<T> work) {
        if (unit.failure != null) {
            throw new SharedTransactionFailed(unit.failure);
        }
        try {
            return work.run(unit.connection);
        } catch (SQLException e) {
            // PostgreSQL refuses every statement after a failed one: the rest of the whole cannot go on
            unit.failure = e;
            throw SqlFailure.of(e);
        } catch (RuntimeException e) {
            unit.failure = e;
            throw e;
        }
    }

    /** The transaction that {@link #inOneTransaction} holds open on this thread. */
    private static final class Shared {
        final Connection connection;
        final List<Runnable> afterCommit = new ArrayList<>();
        Exception failure;

        Shared(Connection connection) {
            this.connection = connection;
        }
    }

    /**
     * A unit of work inside {@link #inOneTransaction} failed, so the whole was rolled back. Not a {@link SqlFailure}:
     * code that retries a failed statement must not retry inside a spoiled transaction.
     */
    public static final class SharedTransactionFailed extends RuntimeException {
        SharedTransactionFailed(Exception cause) {
            super("one unit of a shared transaction failed: " + cause.getClass().getSimpleName(), cause);
        }
    }

    public int update(Connection connection, String name, Map<String, ?> params) throws SQLException {
        try (PreparedStatement statement = prepare(connection, name, params)) {
            return statement.executeUpdate();
        }
    }

    public <T> List<T> query(Connection connection, String name, Map<String, ?> params, RowMapper<T> mapper)
            throws SQLException {
        try (PreparedStatement statement = prepare(connection, name, params);
             ResultSet rows = statement.executeQuery()) {
            List<T> result = new ArrayList<>();
            while (rows.next()) {
                result.add(mapper.map(rows));
            }
            return result;
        }
    }

    /** Runs one statement per parameter set as a JDBC batch. */
    public void batch(Connection connection, String name, List<? extends Map<String, ?>> paramSets) throws SQLException {
        if (paramSets.isEmpty()) {
            return;
        }
        Parsed parsed = parsed(name);
        try (PreparedStatement statement = connection.prepareStatement(parsed.jdbc())) {
            for (Map<String, ?> params : paramSets) {
                bind(statement, parsed, params);
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    public <T> List<T> query(String name, Map<String, ?> params, RowMapper<T> mapper) {
        return inTransaction(connection -> query(connection, name, params, mapper));
    }

    public int update(String name, Map<String, ?> params) {
        return inTransaction(connection -> update(connection, name, params));
    }

    private PreparedStatement prepare(Connection connection, String name, Map<String, ?> params) throws SQLException {
        Parsed parsed = parsed(name);
        PreparedStatement statement = connection.prepareStatement(parsed.jdbc());
        try {
            bind(statement, parsed, params);
            return statement;
        } catch (SQLException | RuntimeException e) {
            statement.close();
            throw e;
        }
    }

    private static void bind(PreparedStatement statement, Parsed parsed, Map<String, ?> params) throws SQLException {
        for (int i = 0; i < parsed.names().size(); i++) {
            String param = parsed.names().get(i);
            if (!params.containsKey(param)) {
                throw new IllegalArgumentException("missing SQL parameter :" + param);
            }
            Object value = params.get(param);
            if (value instanceof Instant instant) {
                value = OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
            }
            statement.setObject(i + 1, value);
        }
    }

    public static Instant instant(ResultSet row, String column) throws SQLException {
        OffsetDateTime value = row.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    private Parsed parsed(String name) {
        return statements.computeIfAbsent(name, this::load);
    }

    private Parsed load(String name) {
        String text = read("sql/" + name + "." + dialect + ".sql");
        if (text == null) {
            text = read("sql/" + name + ".sql");
        }
        if (text == null) {
            throw new IllegalArgumentException("no SQL statement named " + name);
        }
        return parse(text.strip());
    }

    private static String read(String resource) {
        try (InputStream in = Sql.class.getClassLoader().getResourceAsStream(resource)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource, e);
        }
    }

    /** Turns {@code :name} placeholders into {@code ?}, leaving quoted text and {@code ::} casts alone. */
    static Parsed parse(String text) {
        StringBuilder jdbc = new StringBuilder(text.length());
        List<String> names = new ArrayList<>();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'') {
                quoted = !quoted;
                jdbc.append(c);
            } else if (!quoted && c == ':' && i + 1 < text.length() && text.charAt(i + 1) == ':') {
                jdbc.append("::");
                i++;
            } else if (!quoted && c == ':' && i + 1 < text.length() && Character.isJavaIdentifierStart(text.charAt(i + 1))) {
                int end = i + 1;
                while (end < text.length() && Character.isJavaIdentifierPart(text.charAt(end))) {
                    end++;
                }
                names.add(text.substring(i + 1, end));
                jdbc.append('?');
                i = end - 1;
            } else {
                jdbc.append(c);
            }
        }
        return new Parsed(jdbc.toString(), List.copyOf(names));
    }

    private static String detectDialect(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            String product = connection.getMetaData().getDatabaseProductName().toLowerCase();
            return product.contains("postgres") ? "postgresql" : "h2";
        } catch (SQLException e) {
            throw new SqlFailure(e);
        }
    }

    /**
     * A database failure. By itself it is infrastructure (the database is down, busy or timing out): retry later.
     * {@link RefusedValue} is the other kind: the database said no to the values written, and will say no again.
     */
    public static class SqlFailure extends RuntimeException {
        /**
         * SQLSTATE classes that blame the values of a statement, never the database's health: 21 cardinality,
         * 22 data exception (too long, bad encoding, out of range), 23 integrity constraint, 27 triggered data
         * change, 44 check option, 54 program limit exceeded (e.g. an index row too large). Our statements are
         * fixed, so only the values vary; repeating them cannot succeed.
         */
        private static final java.util.Set<String> REFUSED_VALUE_CLASSES = java.util.Set.of("21", "22", "23", "27", "44", "54");

        public SqlFailure(SQLException cause) {
            super(cause.getMessage(), cause);
        }

        /** The one place that splits "the values were refused" from "the database is unwell". */
        public static SqlFailure of(SQLException e) {
            String state = e.getSQLState();
            boolean refused = state != null && state.length() >= 2 && REFUSED_VALUE_CLASSES.contains(state.substring(0, 2))
                    && !(e instanceof java.sql.SQLTransientException) && !(e instanceof java.sql.SQLRecoverableException);
            return refused ? new RefusedValue(e) : new SqlFailure(e);
        }

        public SQLException sqlException() {
            return (SQLException) getCause();
        }

        public String sqlState() {
            return sqlException().getSQLState();
        }

        /** SQLSTATE class 23: a constraint said no. */
        public boolean isConstraintViolation() {
            String state = sqlState();
            return state != null && state.startsWith("23");
        }
    }

    /**
     * The database refused the values of a statement (SQLSTATE class 22, 23, ...): the data's fault, so the same
     * write fails every time. Its {@link #describe()} never quotes the database's message, which may echo a value.
     */
    public static final class RefusedValue extends SqlFailure {
        public RefusedValue(SQLException cause) {
            super(cause);
        }

        /** What was refused, in words that never contain the refused value. */
        public String describe() {
            String state = sqlState();
            String what = switch (state) {
                case "22001" -> "a value is longer than its column allows";
                case "22021" -> "a text holds a character the database cannot store (such as U+0000)";
                case "22003" -> "a number is out of range";
                case "22P02", "22018" -> "a value has the wrong form for its column";
                case "23502" -> "a required value is missing";
                case "23505" -> "a value that must be unique is already taken";
                case "23503" -> "a value refers to something that does not exist";
                case "23514", "23513" -> "a value breaks a check constraint";
                default -> state.startsWith("22") ? "a value is malformed for the database"
                        : state.startsWith("23") ? "a value breaks an integrity constraint"
                        : "the database refused a value";
            };
            return what + " (SQLSTATE " + state + ")";
        }
    }
}
