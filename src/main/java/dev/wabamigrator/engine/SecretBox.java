package dev.wabamigrator.engine;

import at.favre.lib.hkdf.HKDF;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts secrets at rest (PINs, codes, business tokens) with AES-256-GCM.
 *
 * <p>Sealed values, as stored in {@code migration.secrets}:
 * <ul>
 *   <li>{@code v2:<keyId>:<Base64(12-byte IV || ciphertext || 16-byte tag)>}, written by this class. The AES key is
 *   HKDF-SHA256(ikm = the key string's UTF-8 bytes, salt = {@value #HKDF_SALT}, info = {@value #HKDF_INFO_AES}),
 *   32 bytes. The associated data is the migration id (UTF-8), so a value copied into another row does not open.
 *   {@code keyId} is 8 hex characters of HKDF-SHA256(same ikm and salt, info = {@value #HKDF_INFO_KEY_ID}): it names
 *   the key without revealing it.</li>
 *   <li>{@code v1:<Base64(IV || ciphertext || tag)>}, the first format, still read: key = SHA-256 of the key string,
 *   no associated data, no key id.</li>
 * </ul>
 * New values are always sealed under the current key; values sealed under a previous key (SECRETS_KEY_PREVIOUS)
 * or in v1 are still opened, and are sealed under the current key on the row's next write.
 */
public final class SecretBox {
    /** Fixed HKDF salt of this product (RFC 5869 §3.1: a non-secret salt strengthens the extract step). */
    public static final String HKDF_SALT = "waba-migrator/secrets-at-rest";
    /** HKDF info for the AES-256-GCM key of the v2 format. */
    public static final String HKDF_INFO_AES = "v2 AES-256-GCM key";
    /** HKDF info for the key id: independent of the AES key, so the id says nothing about it. */
    public static final String HKDF_INFO_KEY_ID = "v2 key id";

    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final int KEY_ID_BYTES = 4;
    private static final String V1 = "v1:";
    private static final String V2 = "v2:";

    private final Key current;
    /** Every usable key by key id, the current one first. */
    private final Map<String, Key> keys = new LinkedHashMap<>();
    private final SecureRandom random = new SecureRandom();

    /** One key, nothing to rotate from. */
    public SecretBox(String currentKey) {
        this(currentKey, List.of());
    }

    /**
     * @param currentKey   SECRETS_KEY: seals every new value; any string, best 32 random bytes in Base64
     * @param previousKeys earlier keys (SECRETS_KEY_PREVIOUS), only to open values sealed under them
     */
    public SecretBox(String currentKey, List<String> previousKeys) {
        if (currentKey == null || currentKey.isBlank()) {
            throw new IllegalArgumentException("the secrets key is empty");
        }
        this.current = new Key(currentKey);
        keys.put(current.id, current);
        for (String previous : previousKeys) {
            if (previous != null && !previous.isBlank()) {
                Key key = new Key(previous.trim());
                keys.putIfAbsent(key.id, key);
            }
        }
    }

    /** True when {@code sealedText} was sealed in the current format under SECRETS_KEY (not a previous key). */
    public boolean isSealedUnderCurrentKey(String sealedText) {
        return sealedText.startsWith(V2) && sealedText.startsWith(":", V2.length() + current.id.length())
                && sealedText.startsWith(current.id, V2.length());
    }

    /** The id of SECRETS_KEY as it appears in sealed values ({@code v2:<keyId>:…}). */
    public String currentKeyId() {
        return current.id;
    }

    /** Ids of the keys that only open values, in configuration order. */
    public List<String> previousKeyIds() {
        List<String> ids = new ArrayList<>(keys.keySet());
        ids.remove(current.id);
        return ids;
    }

    /** Seals {@code plain} under the current key, bound to {@code migrationId}. */
    public String encrypt(String plain, String migrationId) {
        try {
            byte[] iv = new byte[IV_BYTES];
            random.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, current.v2, new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(migrationId.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(plain.getBytes(StandardCharsets.UTF_8));
            return V2 + current.id + ":" + Base64.getEncoder().encodeToString(ByteBuffer.allocate(iv.length + sealed.length)
                    .put(iv).put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encrypt", e);
        }
    }

    /**
     * Opens a value sealed by {@link #encrypt} (or in the v1 format) for {@code migrationId}.
     *
     * @throws UnreadableSecretException when no configured key opens it, or it was altered or belongs to another
     *                                   migration
     */
    public String decrypt(String sealedText, String migrationId) {
        if (sealedText.startsWith(V2)) {
            int colon = sealedText.indexOf(':', V2.length());
            if (colon < 0) {
                throw new UnreadableSecretException(migrationId, null, "is not a sealed value (no key id)");
            }
            String keyId = sealedText.substring(V2.length(), colon);
            Key key = keys.get(keyId);
            if (key == null) {
                throw new UnreadableSecretException(migrationId, keyId, "is sealed under key id " + keyId
                        + ", which is neither SECRETS_KEY (key id " + current.id + ") nor in SECRETS_KEY_PREVIOUS (key ids "
                        + previousKeyIds() + ")");
            }
            byte[] aad = migrationId.getBytes(StandardCharsets.UTF_8);
            String plain = open(key.v2, aad, sealedText.substring(colon + 1));
            if (plain == null) {
                throw new UnreadableSecretException(migrationId, keyId, "does not authenticate under key id " + keyId
                        + ": the value was altered or copied from another migration's row");
            }
            return plain;
        }
        if (sealedText.startsWith(V1)) {
            for (Key key : keys.values()) {
                String plain = open(key.v1, null, sealedText.substring(V1.length()));
                if (plain != null) {
                    return plain;
                }
            }
            throw new UnreadableSecretException(migrationId, null, "is in the v1 format (no key id) and neither "
                    + "SECRETS_KEY nor SECRETS_KEY_PREVIOUS opens it: list the key it was sealed under in SECRETS_KEY_PREVIOUS");
        }
        throw new UnreadableSecretException(migrationId, null, "is not a sealed value (unknown format)");
    }

    /** @return the plain text, or null when the key (or the associated data) does not authenticate the value */
    private static String open(SecretKeySpec key, byte[] aad, String base64) {
        byte[] all;
        try {
            all = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (all.length < IV_BYTES + TAG_BITS / 8) {
            return null;
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, 0, IV_BYTES));
            if (aad != null) {
                cipher.updateAAD(aad);
            }
            return new String(cipher.doFinal(all, IV_BYTES, all.length - IV_BYTES), StandardCharsets.UTF_8);
        } catch (AEADBadTagException e) {
            return null;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot decrypt", e);
        }
    }

    /** One configured key: its v2 (HKDF) and v1 (SHA-256) AES keys and its id. */
    private static final class Key {
        final String id;
        final SecretKeySpec v2;
        final SecretKeySpec v1;

        Key(String material) {
            byte[] ikm = material.getBytes(StandardCharsets.UTF_8);
            byte[] salt = HKDF_SALT.getBytes(StandardCharsets.UTF_8);
            HKDF hkdf = HKDF.fromHmacSha256();
            byte[] prk = hkdf.extract(salt, ikm);
            this.v2 = new SecretKeySpec(hkdf.expand(prk, HKDF_INFO_AES.getBytes(StandardCharsets.UTF_8), 32), "AES");
            this.id = HexFormat.of().formatHex(hkdf.expand(prk, HKDF_INFO_KEY_ID.getBytes(StandardCharsets.UTF_8),
                    KEY_ID_BYTES));
            try {
                this.v1 = new SecretKeySpec(MessageDigest.getInstance("SHA-256").digest(ikm), "AES");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * A sealed value that no configured key opens: its key is not in SECRETS_KEY / SECRETS_KEY_PREVIOUS, or the value
     * was altered or copied from another migration's row. The message names the migration and the key id (never
     * any key or secret material); the row needs a person ({@code UNREADABLE_STATE}), not a retry.
     */
    public static final class UnreadableSecretException extends IllegalStateException {
        private final String migrationId;
        private final String keyId;

        UnreadableSecretException(String migrationId, String keyId, String why) {
            super("the secrets of migration " + migrationId + " cannot be read: the value " + why);
            this.migrationId = migrationId;
            this.keyId = keyId;
        }

        public String migrationId() {
            return migrationId;
        }

        /** The key id the value names, or null for a v1 value (which names none) or a malformed one. */
        public String keyId() {
            return keyId;
        }
    }
}
