package dev.wabamigrator.command;

import java.util.ArrayList;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;

/**
 * The commands of one Kafka poll (camel-kafka's batching consumer: the body is the list of the records' exchanges)
 * handed to {@link CommandIntake#handlePoll} together. What comes back are the records to dead-letter, each its
 * own message with {@link #RESULT} saying why; the poll's CheckMigrations are left in {@link #CHECKS}.
 */
public final class CommandPoll {
    /** Camel-prefixed: Kafka producers never send it on, should it stay on a message. */
    public static final String RESULT = "CamelWabaIntakeResult";
    /** The poll's CheckMigrations, answered after the poll's transaction (they read the provider first). */
    public static final String CHECKS = "checks";

    private final CommandIntake intake;

    public CommandPoll(CommandIntake intake) {
        this.intake = intake;
    }

    public List<Message> handle(Exchange poll) {
        List<Exchange> records = records(poll);
        List<CommandIntake.Record> commands = new ArrayList<>(records.size());
        for (Exchange record : records) {
            Message message = record.getMessage();
            commands.add(new CommandIntake.Record(message.getBody(byte[].class),
                    message.getHeader(KafkaConstants.KEY, String.class)));
        }
        List<IntakeResult> results = intake.handlePoll(commands);
        List<Message> deadLetters = new ArrayList<>();
        List<IntakeResult> checks = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            if (results.get(i).isCheck()) {
                checks.add(results.get(i));
            } else if (results.get(i).isDeadLetter()) {
                Message message = records.get(i).getMessage();
                message.setHeader(RESULT, results.get(i));
                deadLetters.add(message);
            }
        }
        poll.setProperty(CHECKS, checks);
        return deadLetters;
    }

    @SuppressWarnings("unchecked")
    public static List<Exchange> records(Exchange poll) {
        List<Exchange> records = poll.getMessage().getBody(List.class);
        return records == null ? List.of() : records;
    }
}
