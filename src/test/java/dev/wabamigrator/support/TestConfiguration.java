package dev.wabamigrator.support;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

/** Adds the test flows' beans; routes come from classpath:test-routes. */
public final class TestConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) {
        context.getRegistry().bind("testSteps", new TestSteps(context));
    }
}
