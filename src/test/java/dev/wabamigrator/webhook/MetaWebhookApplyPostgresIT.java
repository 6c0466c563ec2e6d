package dev.wabamigrator.webhook;

import dev.wabamigrator.support.TestDatabase;

class MetaWebhookApplyPostgresIT extends MetaWebhookApplyContract {
    @Override
    TestDatabase database() {
        return TestDatabase.postgres();
    }
}
