package dev.wabamigrator.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.engine.EngineMetrics;
import dev.wabamigrator.event.MigrationEvents;
import dev.wabamigrator.store.MigrationStore;
import dev.wabamigrator.store.Sql;
import dev.wabamigrator.webhook.MetaWebhookReceiver;
import dev.wabamigrator.webhook.MetaWebhooks;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Clock;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.support.CamelContextHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Meta webhooks: the receiver behind routes/meta-webhook-receive.camel.yaml (handshake, signature) and what
 * routes/meta-webhook-apply.camel.yaml does with a verified one. Added after the sandbox, which sets the app secret.
 */
public final class WebhooksConfiguration implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(WebhooksConfiguration.class);

    @Override
    public void configure(CamelContext context) {
        Settings settings = new Settings(context);
        requireFreePort(settings.get("app.webhook.host", "127.0.0.1"), Integer.parseInt(settings.get("app.webhook.port", "8090")));
        ObjectMapper json = CamelContextHelper.mandatoryLookup(context, "json", ObjectMapper.class);
        Clock clock = CamelContextHelper.mandatoryLookup(context, "clock", Clock.class);
        String appSecret = settings.get("app.provider.meta.app-secret", "");
        String verifyToken = settings.get("app.provider.meta.webhook-verify-token", "");
        context.getRegistry().bind("metaWebhookReceiver", new MetaWebhookReceiver(appSecret, verifyToken, json,
                CamelContextHelper.mandatoryLookup(context, "engineMetrics", EngineMetrics.class)));
        MigrationStore store = CamelContextHelper.mandatoryLookup(context, "migrationStore", MigrationStore.class);
        context.getRegistry().bind("metaWebhooks", new MetaWebhooks(
                CamelContextHelper.mandatoryLookup(context, "sql", Sql.class), store.outbox(),
                CamelContextHelper.mandatoryLookup(context, "migrationEvents", MigrationEvents.class), json, clock));
        if (appSecret.isBlank()) {
            LOG.warn("META_APP_SECRET is not set: every Meta webhook notification will be refused (401)");
        }
        if (verifyToken.isBlank()) {
            LOG.info("META_WEBHOOK_VERIFY_TOKEN is not set: Meta's webhook verification request will be refused (403)");
        }
    }

    /**
     * Camel's HTTP server only logs a warning when its port is taken and the service would run deaf to Meta's
     * webhooks (Meta retries, then disables the subscription), so the service refuses to start instead.
     */
    private static void requireFreePort(String host, int port) {
        if (port == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new IllegalStateException("the webhook port " + host + ":" + port + " cannot be bound ("
                    + e.getMessage() + "): set WEBHOOK_PORT (and WEBHOOK_HOST) to a free address", e);
        }
    }
}
