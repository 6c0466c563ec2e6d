package dev.wabamigrator.operations;

import dev.wabamigrator.support.TestDatabase;

class MigrationsPostgresIT extends MigrationsContract {
    @Override
    TestDatabase database() {
        return TestDatabase.postgres();
    }
}
