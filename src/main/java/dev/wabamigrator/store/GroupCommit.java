package dev.wabamigrator.store;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Group commit: writes that workers hand in while another group is being written wait for it, then go together in
 * one transaction with one commit. Each caller still returns only once its own write is committed, so what a worker
 * does next (a provider call, the next step) follows its write exactly as with a transaction of its own.
 * <p>
 * Why: a commit's cost barely depends on how much it carries. On H2 every commit rewrites each changed B-tree page and
 * its parents and allocates file space for them; writes committed together share the pages at the end of the outbox
 * and history tables and every parent above them. On PostgreSQL a group is one WAL flush and fewer round trips.
 * <p>
 * A group that fails (one write refused, a deadlock, the database gone) is rolled back and each of its writes runs
 * again alone, so one write's failure is its own; once one of them fails for the database's sake, not its values', the
 * rest fail with it without waiting for their own connections. A write must therefore change nothing outside the
 * database before its transaction commits.
 * <p>
 * A write's inserts ({@link Batches}) wait for the end of its group and go there as one batch per statement.
 * <p>
 * A group runs its writes in the order of their row keys, not in the order they came: it holds each row's lock until
 * it commits, and anything else that locks several of those rows in one transaction (the claim heartbeat) takes
 * them in that same order, so that neither can wait for the other in a cycle (a deadlock on PostgreSQL aborts one
 * side; when it was the heartbeat, claims ran out under their workers).
 */
public final class GroupCommit {
    private static final Comparator<Pending<?>> IN_LOCK_ORDER = Comparator.comparing(p -> p.rowKey);
    private final Sql sql;
    private final int maxWrites;
    /** True while one caller writes a group; the others wait for it, parked. */
    private final AtomicBoolean writing = new AtomicBoolean();
    private final ConcurrentLinkedQueue<Pending<?>> waiting = new ConcurrentLinkedQueue<>();
    private final LongAdder commits = new LongAdder();
    private final LongAdder writes = new LongAdder();

    public GroupCommit(Sql sql, int maxWrites) {
        if (maxWrites < 1) {
            throw new IllegalArgumentException("a group holds at least one write");
        }
        this.sql = sql;
        this.maxWrites = maxWrites;
    }

    /** One write: its statements, run in the group's transaction; its inserts may go to the group's batches. */
    @FunctionalInterface
    public interface Work<T> {
        T run(java.sql.Connection connection, Batches atEnd) throws java.sql.SQLException;
    }

    /**
     * Runs {@code work} in a transaction shared with the writes handed in meanwhile, and returns once it committed.
     *
     * @param rowKey the key of the row {@code work} locks (a group writes in the order of these keys)
     */
    public <T> T write(String rowKey, Work<T> work) {
        if (sql.inSharedTransaction()) {
            return sql.inTransaction(alone(work)); // joins the caller's transaction, which commits it
        }
        Pending<T> mine = new Pending<>(rowKey, work, Thread.currentThread());
        waiting.add(mine);
        while (!mine.done) {
            if (writing.compareAndSet(false, true)) {
                try {
                    // the one writer writes every write waiting, its own among them
                    while (!mine.done) {
                        commit(next());
                    }
                } finally {
                    writing.set(false);
                    Pending<?> first = waiting.peek();
                    if (first != null) {
                        LockSupport.unpark(first.owner); // came in while this group was written: writes the next one
                    }
                }
            } else {
                LockSupport.park(this); // until written, or the writer hands over
            }
        }
        return mine.outcome();
    }

    /** Commits so far: one per group. */
    public long commits() {
        return commits.sum();
    }

    /** Writes committed so far, in all groups. */
    public long writes() {
        return writes.sum();
    }

    /** Writes handed in and not yet taken into a group. */
    public int waiting() {
        return waiting.size();
    }

    private List<Pending<?>> next() {
        List<Pending<?>> group = new ArrayList<>();
        Pending<?> p;
        while (group.size() < maxWrites && (p = waiting.poll()) != null) {
            group.add(p);
        }
        group.sort(IN_LOCK_ORDER);
        return group;
    }

    private void commit(List<Pending<?>> group) {
        try {
            commitOrEachAlone(group);
        } finally {
            group.forEach(Pending::unlessDone); // an Error on the way: no caller may wait for a group that is gone
        }
    }

    private void commitOrEachAlone(List<Pending<?>> group) {
        if (group.size() > 1) {
            try {
                sql.inTransaction(connection -> {
                    Batches atEnd = new Batches(sql);
                    for (Pending<?> p : group) {
                        p.run(connection, atEnd);
                    }
                    atEnd.flush(connection);
                    return null;
                });
                group.forEach(Pending::committed);
                commits.increment();
                writes.add(group.size());
                return;
            } catch (RuntimeException spoiled) {
                // rolled back: each write again on its own, below
            }
        }
        RuntimeException unwell = null;
        for (Pending<?> p : group) {
            if (unwell != null) {
                p.failed(unwell); // the database failed a write alone: the others would only wait for it to fail again
            } else if (p.alone(this)) {
                commits.increment();
                writes.increment();
            } else if (p.failure instanceof Sql.SqlFailure failure && !(failure instanceof Sql.RefusedValue)) {
                unwell = failure;
            }
        }
    }

    /** {@code work} as a transaction of its own, its batches sent at its end. */
    private <T> Sql.Work<T> alone(Work<T> work) {
        return connection -> {
            Batches atEnd = new Batches(sql);
            T result = work.run(connection, atEnd);
            atEnd.flush(connection);
            return result;
        };
    }

    /** A write handed in, and once it is done its result or failure (published by {@code done}). */
    private static final class Pending<T> {
        final String rowKey;
        final Work<T> work;
        final Thread owner;
        T result;
        RuntimeException failure;
        volatile boolean done;

        Pending(String rowKey, Work<T> work, Thread owner) {
            this.rowKey = java.util.Objects.requireNonNull(rowKey, "rowKey");
            this.work = work;
            this.owner = owner;
        }

        void run(java.sql.Connection connection, Batches atEnd) throws java.sql.SQLException {
            result = work.run(connection, atEnd);
        }

        void committed() {
            finish();
        }

        /** @return whether it committed */
        boolean alone(GroupCommit group) {
            try {
                result = group.sql.inTransaction(group.alone(work));
            } catch (RuntimeException e) {
                failure = e;
            }
            finish();
            return failure == null;
        }

        void failed(RuntimeException e) {
            failure = e;
            finish();
        }

        void unlessDone() {
            if (!done) {
                failure = new IllegalStateException("not written: the group it was in broke off");
                finish();
            }
        }

        private void finish() {
            done = true;
            LockSupport.unpark(owner);
        }

        T outcome() {
            if (failure != null) {
                throw failure;
            }
            return result;
        }
    }
}
