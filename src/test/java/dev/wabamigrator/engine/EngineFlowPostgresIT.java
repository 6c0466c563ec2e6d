package dev.wabamigrator.engine;

import dev.wabamigrator.support.TestDatabase;

class EngineFlowPostgresIT extends EngineFlowContract {
    @Override
    TestDatabase database() {
        return TestDatabase.postgres();
    }
}
