package dev.wabamigrator.progress;

import dev.wabamigrator.support.TestDatabase;

class BatchProgressPostgresIT extends BatchProgressContract {
    @Override
    TestDatabase database() {
        return TestDatabase.postgres();
    }
}
