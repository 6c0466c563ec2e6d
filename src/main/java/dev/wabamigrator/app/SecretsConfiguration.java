package dev.wabamigrator.app;

import dev.wabamigrator.engine.SecretBox;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Secrets at rest: the key that seals PINs, codes and tokens in the database. The first configuration, so a key that
 * cannot be read stops the start before anything is opened.
 */
public final class SecretsConfiguration implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(SecretsConfiguration.class);
    /** The development key's file name in {@code app.data-dir}, used when SECRETS_KEY is not set. */
    static final String DEVELOPMENT_KEY_FILE = "secrets.key";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    @PropertyInject("app.data-dir")
    private String dataDir;
    @PropertyInject(value = "app.secrets.key", defaultValue = "")
    private String key;
    @PropertyInject(value = "app.secrets.previous-keys", defaultValue = "")
    private String previousKeys;

    /** SECRETS_KEY (or the development key) seals; the keys of SECRETS_KEY_PREVIOUS still open older rows. */
    @Override
    public void configure(CamelContext context) throws IOException {
        String current = key.strip();
        if (current.isEmpty()) {
            Path dir = Path.of(dataDir.strip());
            LOG.warn("SECRETS_KEY is not set: secrets at rest are encrypted with the development key in {}; "
                    + "set SECRETS_KEY in production", dir.resolve(DEVELOPMENT_KEY_FILE));
            current = developmentKey(dir);
        }
        List<String> previous = Arrays.stream(previousKeys.split(",")).map(String::trim).filter(k -> !k.isEmpty())
                .toList();
        SecretBox box = new SecretBox(current, previous);
        // key ids are one-way fingerprints: they tell which rows still need an old key, and reveal nothing of it
        LOG.info("Secrets at rest: sealing under key id {}; also opening key ids {}", box.currentKeyId(),
                box.previousKeyIds());
        context.getRegistry().bind("secretBox", box);
    }

    /**
     * The development key in {@code <dataDir>/secrets.key}, generated on first use: 32 random bytes, Base64. The file
     * is born owner-only (0600), written under a temporary name and renamed into place, so it is never readable by
     * others nor seen half-written. An existing file that others may read is tightened to 0600, with a warning.
     */
    static String developmentKey(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve(DEVELOPMENT_KEY_FILE);
        boolean posix = Files.getFileStore(dataDir).supportsFileAttributeView(PosixFileAttributeView.class);
        if (!Files.exists(file)) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            Path tmp = posix
                    ? Files.createTempFile(dataDir, DEVELOPMENT_KEY_FILE, ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY))
                    : Files.createTempFile(dataDir, DEVELOPMENT_KEY_FILE, ".tmp");
            try {
                Files.writeString(tmp, Base64.getEncoder().encodeToString(random), StandardCharsets.UTF_8);
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } else if (posix) {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (!OWNER_ONLY.containsAll(mode)) {
                LOG.warn("The development key {} was not owner-only ({}): its mode is now rw-------", file,
                        PosixFilePermissions.toString(mode));
                Files.setPosixFilePermissions(file, OWNER_ONLY);
            }
        }
        String key = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (key.isEmpty()) {
            throw new IllegalStateException("the development key " + file + " is empty: delete it only if no stored "
                    + "migration holds secrets, or set SECRETS_KEY");
        }
        return key;
    }
}
