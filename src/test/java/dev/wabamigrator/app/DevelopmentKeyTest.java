package dev.wabamigrator.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The development key (SECRETS_KEY unset) is a file only its owner can read. */
class DevelopmentKeyTest {
    @TempDir
    Path tmp;

    @Test
    void should_create_the_key_file_owner_only_and_keep_using_it() throws Exception {
        Path dataDir = tmp.resolve("data");

        String key = SecretsConfiguration.developmentKey(dataDir);

        Path file = dataDir.resolve(SecretsConfiguration.DEVELOPMENT_KEY_FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Base64.getDecoder().decode(key)).hasSize(32);
        try (var files = Files.list(dataDir)) {
            assertThat(files).as("no temporary file left behind").containsExactly(file);
        }
        assertThat(SecretsConfiguration.developmentKey(dataDir)).as("the next start reads the same key").isEqualTo(key);
    }

    @Test
    void should_tighten_an_existing_key_file_that_others_can_read() throws Exception {
        Path file = tmp.resolve(SecretsConfiguration.DEVELOPMENT_KEY_FILE);
        Files.writeString(file, "an-existing-development-key\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        PrintStream originalErr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        String key;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            key = SecretsConfiguration.developmentKey(tmp);
        } finally {
            System.setErr(originalErr);
        }

        assertThat(key).isEqualTo("an-existing-development-key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("WARN").contains(file.toString())
                .contains("rw-r--r--").doesNotContain("an-existing-development-key");
    }
}
