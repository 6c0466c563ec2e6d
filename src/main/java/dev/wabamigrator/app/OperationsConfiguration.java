package dev.wabamigrator.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.command.CommandIntake;
import dev.wabamigrator.event.MigrationEvents;
import dev.wabamigrator.operations.Migrations;
import dev.wabamigrator.store.MigrationOverview;
import dev.wabamigrator.store.MigrationStore;
import dev.wabamigrator.store.Sql;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.spi.MaskingFormatter;
import org.apache.camel.support.CamelContextHelper;
import org.apache.camel.support.processor.DefaultMaskingFormatter;
import org.apache.camel.util.SensitiveUtils;

/**
 * Operations: Camel's log mask, the step history and the operators' MBean {@code waba-migrator:type=Migrations}, and
 * the Jolokia agent (for Hawtio) once everything else is wired. Health checks
 * are bound by the configuration that owns what they check; metrics are Camel's ({@code camel.metrics.*}).
 */
public final class OperationsConfiguration implements CamelConfiguration {
    /** Field names whose values are secrets wherever Camel prints a message. */
    static final List<String> SECRET_KEYWORDS = List.of("pin", "code", "verifyCode", "VerifyCode",
            "access_token", "accessToken", "appsecret_proof", "Authorization", "authorization");

    @PropertyInject("app.data-dir")
    private String dataDir;
    @PropertyInject("app.jolokia.enabled")
    private boolean jolokiaEnabled;

    /** Camel's log mask (log EIP, tracer, JMX message dumps) also hides our secrets: PINs, codes, tokens. */
    @BindToRegistry(MaskingFormatter.CUSTOM_LOG_MASK_REF)
    public MaskingFormatter logMask() {
        Set<String> keywords = new HashSet<>(SensitiveUtils.getSensitiveKeys());
        keywords.addAll(SECRET_KEYWORDS);
        return new DefaultMaskingFormatter(keywords, true, true, true);
    }

    @Override
    public void configure(CamelContext context) throws Exception {
        // the step history (pruned by the prune-step-history route) and the operators' MBean over it
        MigrationStore store = CamelContextHelper.mandatoryLookup(context, "migrationStore", MigrationStore.class);
        context.getRegistry().bind("stepHistory", store.history());
        Migrations migrations = new Migrations(
                CamelContextHelper.mandatoryLookup(context, "commandIntake", CommandIntake.class), store.history(),
                new MigrationOverview(CamelContextHelper.mandatoryLookup(context, "sql", Sql.class)),
                CamelContextHelper.mandatoryLookup(context, "migrationEvents", MigrationEvents.class),
                CamelContextHelper.mandatoryLookup(context, "json", ObjectMapper.class));
        Resources.wire(context, resources -> resources.add(migrations.register(context.getName())));
        if (jolokiaEnabled) {
            // an unsafe Jolokia setting stops the start, and what the other configurations opened is closed
            Resources.wire(context, resources -> resources.add(
                    JolokiaAgent.configure(new Settings(context), Path.of(dataDir.strip())).start()));
        }
    }
}
