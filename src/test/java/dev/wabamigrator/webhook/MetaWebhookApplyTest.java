package dev.wabamigrator.webhook;

import dev.wabamigrator.support.TestDatabase;

class MetaWebhookApplyTest extends MetaWebhookApplyContract {
    @Override
    TestDatabase database() {
        return TestDatabase.h2();
    }
}
