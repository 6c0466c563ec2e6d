package dev.wabamigrator.progress;

import dev.wabamigrator.support.TestDatabase;

class BatchProgressH2IT extends BatchProgressContract {
    @Override
    TestDatabase database() {
        return TestDatabase.h2();
    }
}
