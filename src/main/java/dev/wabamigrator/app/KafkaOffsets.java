package dev.wabamigrator.app;

import dev.wabamigrator.command.CommandPoll;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Commits a poll's offsets, called only once its commands are recorded in the database (or dead-lettered). */
public final class KafkaOffsets {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaOffsets.class);

    /**
     * Commits, for each partition of the poll, the offset of its last record. The batch's own manual-commit header
     * covers only the partition of the poll's very last record; a poll may span several.
     */
    public void commitPoll(Exchange poll) {
        Map<String, Exchange> lastOfPartition = new LinkedHashMap<>();
        for (Exchange record : CommandPoll.records(poll)) {
            lastOfPartition.put(record.getMessage().getHeader(KafkaConstants.TOPIC) + "-"
                    + record.getMessage().getHeader(KafkaConstants.PARTITION), record);
        }
        lastOfPartition.values().forEach(this::commit);
    }

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
