package dev.wabamigrator.operations;

import dev.wabamigrator.support.TestDatabase;

class MigrationsH2IT extends MigrationsContract {
    @Override
    TestDatabase database() {
        // a file database: H2 reports the disk space a table uses only for one (the size test's figure)
        try {
            return TestDatabase.h2File(java.nio.file.Files.createTempDirectory("waba-history-h2"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
