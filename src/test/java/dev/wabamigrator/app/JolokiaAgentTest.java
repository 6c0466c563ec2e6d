package dev.wabamigrator.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated Jolokia password: made once, owner-only from its creation, the same on every later start. */
class JolokiaAgentTest {

    @Test
    void should_create_the_password_file_owner_only_and_reuse_it_on_later_starts(@TempDir Path dataDir) throws Exception {
        Path file = dataDir.resolve("not-yet").resolve("jolokia.password");

        String first = JolokiaAgent.generatedPassword(file);
        String second = JolokiaAgent.generatedPassword(file);

        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(first).matches("[A-Za-z0-9_-]{43}"); // 256 random bits
        assertThat(second).isEqualTo(first);
        assertThat(Files.readString(file).trim()).isEqualTo(first);
    }

    @Test
    void should_make_a_different_password_for_every_data_directory(@TempDir Path one, @TempDir Path two) throws Exception {
        assertThat(JolokiaAgent.generatedPassword(one.resolve("jolokia.password")))
                .isNotEqualTo(JolokiaAgent.generatedPassword(two.resolve("jolokia.password")));
    }

    @Test
    void should_keep_a_password_an_operator_wrote_into_the_file(@TempDir Path dataDir) throws Exception {
        Path file = dataDir.resolve("jolokia.password");
        Files.writeString(file, "chosen-by-the-operator\n");

        assertThat(JolokiaAgent.generatedPassword(file)).isEqualTo("chosen-by-the-operator");
    }

    @Test
    void should_tell_loopback_hosts_from_hosts_other_machines_reach() {
        assertThat(JolokiaAgent.isLoopback("127.0.0.1")).isTrue();
        assertThat(JolokiaAgent.isLoopback("localhost")).isTrue();
        assertThat(JolokiaAgent.isLoopback("::1")).isTrue();
        assertThat(JolokiaAgent.isLoopback("0.0.0.0")).isFalse();
        assertThat(JolokiaAgent.isLoopback("::")).isFalse();
    }
}
