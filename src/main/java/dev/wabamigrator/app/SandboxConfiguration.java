package dev.wabamigrator.app;

import dev.wabamigrator.sandbox.AlibabaSandbox;
import dev.wabamigrator.sandbox.MetaSandbox;
import dev.wabamigrator.sandbox.ProviderSandbox;
import java.time.Duration;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provider sandbox, when SANDBOX=true or no provider credentials are set: serves both providers' APIs from this
 * process and points the provider properties at itself. Added before {@link ProvidersConfiguration}, which reads
 * those properties.
 */
public final class SandboxConfiguration implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxConfiguration.class);

    @PropertyInject(value = "app.sandbox.enabled", defaultValue = "")
    private String enabled;
    @PropertyInject(value = "app.provider.alibaba.access-key-id", defaultValue = "")
    private String alibabaAccessKeyId;
    @PropertyInject(value = "app.provider.meta.system-user-token", defaultValue = "")
    private String metaSystemUserToken;
    @PropertyInject("app.sandbox.port")
    private int port;
    @PropertyInject("app.sandbox.latency-ms")
    private long latencyMs;
    @PropertyInject("app.sandbox.alibaba.max-requests-per-second")
    private int alibabaMaxRequestsPerSecond;
    @PropertyInject(value = "app.sandbox.meta.webhook-url", defaultValue = "")
    private String metaWebhookUrl;

    @Override
    public void configure(CamelContext context) throws Exception {
        if (wanted()) {
            Resources.wire(context, resources -> start(context, resources));
        }
    }

    private boolean wanted() {
        if (!enabled.isBlank()) {
            return Boolean.parseBoolean(enabled.strip());
        }
        return alibabaAccessKeyId.isBlank() && metaSystemUserToken.isBlank();
    }

    private void start(CamelContext context, Resources resources) {
        Duration latency = Duration.ofMillis(latencyMs);
        MetaSandbox meta = new MetaSandbox(MetaSandbox.Config.defaults().withLatency(latency));
        ProviderSandbox sandbox = resources.add(new ProviderSandbox(port));
        AlibabaSandbox alibaba = AlibabaSandbox.builder().maxRequestsPerSecond(alibabaMaxRequestsPerSecond)
                .latency(latency).build().mountOn(sandbox);
        sandbox.mount(MetaSandbox.CONTEXT_PATH, meta).mount(MetaSandbox.CONTROL_CONTEXT_PATH, meta).onClose(meta);
        sandbox.start();
        if (!metaWebhookUrl.isBlank()) {
            meta.sendWebhooksTo(java.net.URI.create(metaWebhookUrl.strip()));
            LOG.info("Meta sandbox sends signed PARTNER_ADDED webhooks to {}", metaWebhookUrl.strip());
        }
        PropertiesComponent properties = context.getPropertiesComponent();
        properties.addOverrideProperty("app.provider.alibaba.endpoint", alibaba.camsEndpoint());
        properties.addOverrideProperty("app.provider.alibaba.access-key-id", AlibabaSandbox.DEFAULT_ACCESS_KEY_ID);
        properties.addOverrideProperty("app.provider.alibaba.access-key-secret", AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET);
        properties.addOverrideProperty("app.provider.meta.graph-url", sandbox.baseUrl() + MetaSandbox.CONTEXT_PATH);
        properties.addOverrideProperty("app.provider.meta.app-id", MetaSandbox.APP_ID);
        properties.addOverrideProperty("app.provider.meta.app-secret", MetaSandbox.APP_SECRET);
        properties.addOverrideProperty("app.provider.meta.system-user-token", MetaSandbox.SYSTEM_TOKEN);
        Registry registry = context.getRegistry();
        registry.bind("providerSandbox", sandbox);
        registry.bind("alibabaSandbox", alibaba);
        registry.bind("metaSandbox", meta);
        LOG.warn("provider SANDBOX on {}: no real provider is called (codes: {}/alibaba-sandbox/codes/<number>)",
                sandbox.baseUrl(), sandbox.baseUrl());
    }
}
