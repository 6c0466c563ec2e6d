package dev.wabamigrator.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import at.favre.lib.hkdf.HKDF;
import dev.wabamigrator.engine.SecretBox.UnreadableSecretException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecretBoxTest {
    private static final String SECRETS = "{\"pin\":\"428571\",\"businessToken\":\"EAAGm0PX4ZCpsBA\"}";
    private static final String KEY_2024 = "key-of-2024";
    private static final String KEY_2025 = "key-of-2025";
    /** Sealed by the first SecretBox (v1: key = SHA-256 of "key-of-2024", no associated data): such rows exist. */
    private static final String V1_SEALED_UNDER_2024 = "v1:TEooE0L7u8XOLXPGQod4aGv+L0kFyid5Pth6VDMJWFpW59dwBN8Z+rioINU=";
    /** Sealed in v2 under "key-of-2025" for m-golden: stored rows must keep opening after any change to this class. */
    private static final String V2_SEALED_UNDER_2025 =
            "v2:aee5e011:89GDc3K0d8L566PaIBoizRS/+4emXvQBw5YflGysXpchnVVqknM39vU63KM=";

    @Test
    void should_open_what_it_sealed_for_the_same_migration() {
        SecretBox box = new SecretBox(KEY_2025);

        String sealed = box.encrypt(SECRETS, "m-1");

        assertThat(sealed).startsWith("v2:" + box.currentKeyId() + ":").doesNotContain("428571").doesNotContain("EAAG");
        assertThat(box.encrypt(SECRETS, "m-1")).as("a fresh IV every time").isNotEqualTo(sealed);
        assertThat(box.decrypt(sealed, "m-1")).isEqualTo(SECRETS);
    }

    @Test
    void should_refuse_a_value_copied_from_another_migrations_row() {
        SecretBox box = new SecretBox(KEY_2025);
        String sealedForM1 = box.encrypt(SECRETS, "m-1");

        assertThatThrownBy(() -> box.decrypt(sealedForM1, "m-2"))
                .isInstanceOfSatisfying(UnreadableSecretException.class, e -> {
                    assertThat(e.keyId()).isEqualTo(box.currentKeyId());
                    assertThat(e.migrationId()).isEqualTo("m-2");
                })
                .hasMessageContaining("m-2").hasMessageContaining(box.currentKeyId())
                .hasMessageContaining("copied from another migration");
    }

    @Test
    void should_refuse_an_altered_value() {
        SecretBox box = new SecretBox(KEY_2025);
        String sealed = box.encrypt(SECRETS, "m-1");
        byte[] raw = Base64.getDecoder().decode(sealed.substring(sealed.lastIndexOf(':') + 1));
        raw[20] ^= 1;
        String altered = sealed.substring(0, sealed.lastIndexOf(':') + 1) + Base64.getEncoder().encodeToString(raw);

        assertThatThrownBy(() -> box.decrypt(altered, "m-1")).isInstanceOf(UnreadableSecretException.class);
        assertThatThrownBy(() -> box.decrypt("v2:" + box.currentKeyId() + ":not base64!", "m-1"))
                .isInstanceOf(UnreadableSecretException.class);
        assertThatThrownBy(() -> box.decrypt("plain text", "m-1")).isInstanceOf(UnreadableSecretException.class)
                .hasMessageContaining("not a sealed value");
    }

    @Test
    void should_still_read_values_sealed_in_the_v1_format() {
        assertThat(new SecretBox(KEY_2024).decrypt(V1_SEALED_UNDER_2024, "any-migration")).isEqualTo("{\"pin\":\"428571\"}");
        assertThat(new SecretBox(KEY_2025, List.of(KEY_2024)).decrypt(V1_SEALED_UNDER_2024, "any-migration"))
                .as("after a rotation, through SECRETS_KEY_PREVIOUS").isEqualTo("{\"pin\":\"428571\"}");
    }

    @Test
    void should_refuse_a_v1_value_no_configured_key_opens() {
        assertThatThrownBy(() -> new SecretBox(KEY_2025).decrypt(V1_SEALED_UNDER_2024, "m-old"))
                .isInstanceOfSatisfying(UnreadableSecretException.class, e -> assertThat(e.keyId()).isNull())
                .hasMessageContaining("v1").hasMessageContaining("SECRETS_KEY_PREVIOUS")
                .hasMessageNotContaining(KEY_2024).hasMessageNotContaining(KEY_2025);
    }

    @Test
    void should_keep_reading_stored_v2_values() {
        SecretBox box = new SecretBox(KEY_2025);

        assertThat(box.currentKeyId()).isEqualTo("aee5e011");
        assertThat(box.decrypt(V2_SEALED_UNDER_2025, "m-golden")).isEqualTo("{\"pin\":\"428571\"}");
    }

    @Test
    void should_open_rows_of_the_previous_key_after_a_rotation_and_seal_under_the_new_one() {
        SecretBox before = new SecretBox(KEY_2024);
        String sealedBefore = before.encrypt(SECRETS, "m-1");
        SecretBox after = new SecretBox(KEY_2025, List.of(KEY_2024));

        String opened = after.decrypt(sealedBefore, "m-1");
        String resealed = after.encrypt(opened, "m-1");

        assertThat(opened).isEqualTo(SECRETS);
        assertThat(after.currentKeyId()).isNotEqualTo(before.currentKeyId());
        assertThat(after.previousKeyIds()).containsExactly(before.currentKeyId());
        assertThat(resealed).startsWith("v2:" + after.currentKeyId() + ":");
        assertThat(new SecretBox(KEY_2025).decrypt(resealed, "m-1")).as("the old key is no longer needed for it")
                .isEqualTo(SECRETS);
    }

    @Test
    void should_name_the_missing_key_id_but_no_key_or_secret_when_the_key_is_unknown() {
        SecretBox old = new SecretBox(KEY_2024);
        String sealed = old.encrypt(SECRETS, "m-1");
        SecretBox rotatedWithoutPrevious = new SecretBox(KEY_2025, List.of("some-other-key"));

        assertThatThrownBy(() -> rotatedWithoutPrevious.decrypt(sealed, "m-1"))
                .isInstanceOfSatisfying(UnreadableSecretException.class,
                        e -> assertThat(e.keyId()).isEqualTo(old.currentKeyId()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("m-1").hasMessageContaining(old.currentKeyId())
                .hasMessageContaining(rotatedWithoutPrevious.currentKeyId())
                .hasMessageNotContaining(KEY_2024).hasMessageNotContaining(KEY_2025).hasMessageNotContaining("some-other-key")
                .hasMessageNotContaining("428571");
    }

    @Test
    void should_ignore_blank_and_repeated_previous_keys() {
        SecretBox box = new SecretBox(KEY_2025, List.of("", " ", KEY_2025, KEY_2024, KEY_2024));

        assertThat(box.previousKeyIds()).containsExactly(new SecretBox(KEY_2024).currentKeyId());
        assertThatThrownBy(() -> new SecretBox(" ")).isInstanceOf(IllegalArgumentException.class);
    }

    /** RFC 5869 appendix A.1–A.3 (SHA-256), with the calls SecretBox makes: extract(salt, ikm), then expand(prk, info). */
    @Test
    void should_derive_keys_with_hkdf_sha256_as_rfc_5869_publishes() {
        HexFormat hex = HexFormat.of();
        HKDF hkdf = HKDF.fromHmacSha256();
        String[][] vectors = {
            {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9", "42",
                "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
            {range(0x00, 80), range(0x60, 80), range(0xb0, 80), "82",
                "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
                "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09"
                    + "da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
            {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "", "42",
                "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
        };
        for (String[] v : vectors) {
            byte[] prk = hkdf.extract(hex.parseHex(v[1]), hex.parseHex(v[0]));
            assertThat(hex.formatHex(prk)).isEqualTo(v[4]);
            assertThat(hex.formatHex(hkdf.expand(prk, hex.parseHex(v[2]), Integer.parseInt(v[3])))).isEqualTo(v[5]);
        }
    }

    private static String range(int first, int count) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < count; i++) {
            s.append(String.format("%02x", first + i));
        }
        return s.toString();
    }
}
