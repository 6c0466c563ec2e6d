package dev.wabamigrator.engine;

import dev.wabamigrator.support.TestDatabase;

class EngineFlowH2IT extends EngineFlowContract {
    @Override
    TestDatabase database() {
        return TestDatabase.h2();
    }
}
