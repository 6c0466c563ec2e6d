package dev.wabamigrator.app;

import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Commits a command's offset, called only once the command is recorded in the database (or dead-lettered). */
public final class KafkaOffsets {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaOffsets.class);

    public void commit(Exchange exchange) {
        KafkaManualCommit manual = exchange.getMessage().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class);
        if (manual == null) {
            return;
        }
        try {
            manual.commit();
        } catch (KafkaException e) {
            // The command is already recorded. An offset left uncommitted (broker unreachable, group rebalancing) is
            // covered by the next commit, or the record is read again and deduplicated by its commandId; failing here
            // would dead-letter a command that was taken in.
            LOG.warn("offset {} of {}-{} not committed yet: {}", exchange.getMessage().getHeader(KafkaConstants.OFFSET),
                    exchange.getMessage().getHeader(KafkaConstants.TOPIC),
                    exchange.getMessage().getHeader(KafkaConstants.PARTITION), e.toString());
        }
    }
}
