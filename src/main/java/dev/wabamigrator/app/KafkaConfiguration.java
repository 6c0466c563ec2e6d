package dev.wabamigrator.app;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Kafka: the embedded broker unless KAFKA_BROKERS is set, then the topics, the component's brokers, readiness. */
public final class KafkaConfiguration implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaConfiguration.class);

    @PropertyInject("app.data-dir")
    private String dataDir;
    @PropertyInject(value = "app.kafka.brokers", defaultValue = "")
    private String brokers;
    @PropertyInject("app.kafka.embedded.port")
    private int embeddedPort;
    @PropertyInject("app.kafka.topic.partitions")
    private int partitions;
    @PropertyInject("app.kafka.topic.replication-factor")
    private short replicationFactor;
    @PropertyInject("app.kafka.topic.commands")
    private String commandsTopic;
    @PropertyInject("app.kafka.topic.events")
    private String eventsTopic;
    @PropertyInject("app.kafka.topic.commands-dlq")
    private String deadLetterTopic;
    @PropertyInject("app.kafka.topic.webhooks-meta")
    private String metaWebhooksTopic;

    @BindToRegistry("kafkaOffsets")
    private final KafkaOffsets kafkaOffsets = new KafkaOffsets();

    @Override
    public void configure(CamelContext context) throws Exception {
        Resources.wire(context, resources -> {
            String bootstrapServers = brokers.strip();
            if (bootstrapServers.isEmpty()) {
                EmbeddedKafkaBroker broker = resources.add(new EmbeddedKafkaBroker(
                        Path.of(dataDir.strip()).resolve("kafka"), embeddedPort, 0, partitions));
                bootstrapServers = broker.start().bootstrapServers();
            }
            context.getComponent("kafka", KafkaComponent.class).getConfiguration().setBrokers(bootstrapServers);
            Admin admin = resources.add(Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    bootstrapServers)));
            createTopics(admin);
            context.getRegistry().bind("kafkaHealthCheck", new KafkaHealthCheck(admin));
            // also read by the intake-lag gauge (OperationsConfiguration)
            context.getRegistry().bind("kafkaAdmin", admin);
            LOG.info("Kafka at {}", bootstrapServers);
        });
    }

    private void createTopics(Admin admin) throws InterruptedException, ExecutionException {
        List<NewTopic> topics = List.of(commandsTopic, eventsTopic, deadLetterTopic, metaWebhooksTopic).stream()
                .map(name -> new NewTopic(name.strip(), partitions, replicationFactor)).toList();
        for (var entry : admin.createTopics(topics).values().entrySet()) {
            try {
                entry.getValue().get(30, TimeUnit.SECONDS);
                LOG.info("created topic {} ({} partitions)", entry.getKey(), partitions);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            } catch (TimeoutException e) {
                throw new IllegalStateException("Kafka did not create topic " + entry.getKey() + " in 30 s", e);
            }
        }
    }
}
