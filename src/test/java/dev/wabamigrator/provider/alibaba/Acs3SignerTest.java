package dev.wabamigrator.provider.alibaba;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The three vectors of provider-apis.md §1.3, plus the encoding rules of §1.2. */
class Acs3SignerTest {

    private static final Instant VECTOR_DATE = Instant.parse("2023-10-26T10:22:32Z");
    private static final String VECTOR_NONCE = "3156853299f313e23d1673dc12e1703d";

    private final Acs3Signer signer = new Acs3Signer();

    @Test
    void should_reproduce_vector_1_official_v3_doc() {
        TreeMap<String, String> query = new TreeMap<>(Map.of(
                "ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
                "RegionId", "cn-shanghai"));

        Map<String, String> headers = signer.signedHeaders("POST", "ecs.cn-shanghai.aliyuncs.com", "/",
                "RunInstances", "2014-05-26", query, new byte[0], null,
                "YourAccessKeyId", "YourAccessKeySecret", VECTOR_DATE, VECTOR_NONCE);

        String canonical = Acs3Signer.canonicalRequest("POST", "/", query, headers, Acs3Signer.EMPTY_PAYLOAD_SHA256);
        assertThat(canonical).isEqualTo("""
                POST
                /
                ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai
                host:ecs.cn-shanghai.aliyuncs.com
                x-acs-action:RunInstances
                x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-acs-date:2023-10-26T10:22:32Z
                x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d
                x-acs-version:2014-05-26

                host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855""");
        assertThat(Acs3Signer.sha256Hex(canonical.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259");
        assertThat(Acs3Signer.signature(canonical, "YourAccessKeySecret"))
                .isEqualTo("06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
        assertThat(headers.get("Authorization")).isEqualTo("ACS3-HMAC-SHA256 Credential=YourAccessKeyId,"
                + "SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
                + "Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
        assertThat(headers).containsEntry("x-acs-date", "2023-10-26T10:22:32Z")
                .containsEntry("x-acs-signature-nonce", VECTOR_NONCE)
                .containsEntry("x-acs-content-sha256", Acs3Signer.EMPTY_PAYLOAD_SHA256)
                .containsEntry("host", "ecs.cn-shanghai.aliyuncs.com")
                .doesNotContainKey("content-type");
    }

    @Test
    void should_reproduce_vector_2_sdk_get_authorization_test() {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("test", "ok");
        query.put("empty", "");
        Map<String, String> headers = Map.of("x-acs-test", "http");
        String payloadHash = "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23";

        assertThat(Acs3Signer.canonicalQuery(query)).isEqualTo("empty=&test=ok");
        String canonical = Acs3Signer.canonicalRequest("GET", "", query, headers, payloadHash);
        assertThat(Acs3Signer.sha256Hex(canonical.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("7219023a82a15900097611298ec415e9997b2ca075de1642db91f85e985fa9da");
        assertThat(Acs3Signer.authorization("GET", "", query, headers, payloadHash, "acesskey", "secret"))
                .isEqualTo("ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test,"
                        + "Signature=02e81f9f3cc8839151b0c7278024cbc4bfc9fa786085a0b8305f825f17b5dae7");
    }

    @Test
    void should_reproduce_vector_3_cams_regression_value() {
        TreeMap<String, String> query = new TreeMap<>(Map.of(
                "CountryCode", "86", "CustSpaceId", "293483938849493", "MobileNumber", "13900001234"));

        Map<String, String> headers = signer.signedHeaders("POST", "cams.ap-southeast-1.aliyuncs.com", "/",
                "CreateChatappMigrationInitiate", "2020-06-06", query, null, null,
                "YourAccessKeyId", "YourAccessKeySecret", VECTOR_DATE, VECTOR_NONCE);

        assertThat(Acs3Signer.canonicalQuery(query))
                .isEqualTo("CountryCode=86&CustSpaceId=293483938849493&MobileNumber=13900001234");
        String canonical = Acs3Signer.canonicalRequest("POST", "/", query, headers, Acs3Signer.EMPTY_PAYLOAD_SHA256);
        assertThat(Acs3Signer.sha256Hex(canonical.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("e0a03a317ab727bc6be9cddc89a1f280fc16624498c7760bec30f00e16a08d18");
        assertThat(headers.get("Authorization")).endsWith(
                ",Signature=31e346cab55b693d38fae3620b5462c18cb4cda1dda441159032773b0526692d");
    }

    @Test
    void should_verify_what_it_signed_from_received_parts_in_any_header_case() {
        TreeMap<String, String> query = new TreeMap<>(Map.of("CustSpaceId", "cams-1", "PhoneNumber", "8613900001234"));
        byte[] body = "a=b".getBytes(StandardCharsets.UTF_8);
        Map<String, String> sent = signer.signedHeaders("POST", "127.0.0.1:8080", "/alibaba/",
                "ChatappMigrationRegister", "2020-06-06", query, body, "application/x-www-form-urlencoded",
                "id", "secret", VECTOR_DATE, "n1");

        Map<String, String> received = new LinkedHashMap<>();
        sent.forEach((k, v) -> received.put(k.toUpperCase(), v));
        received.put("User-Agent", "Java-http-client/17");
        received.put("Content-Length", "3");

        assertThat(Acs3Signer.authorization("POST", "/alibaba/", query, received, Acs3Signer.sha256Hex(body),
                "id", "secret")).isEqualTo(sent.get("Authorization"));
        assertThat(sent.get("Authorization")).contains("SignedHeaders=content-type;host;");
        assertThat(Acs3Signer.authorization("POST", "/alibaba/", query, received, Acs3Signer.sha256Hex(body),
                "id", "wrong")).isNotEqualTo(sent.get("Authorization"));
    }

    @Test
    void should_percent_encode_like_alibaba() {
        assertThat(Acs3Signer.percentEncode("a b*c~d+e/f=é")).isEqualTo("a%20b%2Ac~d%2Be%2Ff%3D%C3%A9");
        assertThat(Acs3Signer.percentEncode("AZaz09-_.~")).isEqualTo("AZaz09-_.~");
        assertThat(Acs3Signer.percentEncode(null)).isEmpty();
        assertThat(Acs3Signer.canonicalQuery(Map.of())).isEmpty();
    }

    @Test
    void should_parse_an_authorization_header_and_derive_host_from_uri() {
        Acs3Signer.ParsedAuthorization parsed = Acs3Signer.parseAuthorization(
                "ACS3-HMAC-SHA256 Credential=k,SignedHeaders=host;x-acs-date,Signature=abc");
        assertThat(parsed).isNotNull();
        assertThat(parsed.accessKeyId()).isEqualTo("k");
        assertThat(parsed.signedHeaders()).containsExactly("host", "x-acs-date");
        assertThat(parsed.signature()).isEqualTo("abc");
        assertThat(Acs3Signer.parseAuthorization("HMAC-SHA1 foo")).isNull();
        assertThat(Acs3Signer.parseAuthorization("ACS3-HMAC-SHA256 Credential=k")).isNull();

        assertThat(Acs3Signer.hostHeader(URI.create("https://cams.ap-southeast-1.aliyuncs.com/")))
                .isEqualTo("cams.ap-southeast-1.aliyuncs.com");
        assertThat(Acs3Signer.hostHeader(URI.create("http://127.0.0.1:43210/alibaba"))).isEqualTo("127.0.0.1:43210");
        assertThat(Acs3Signer.newNonce()).hasSize(32).doesNotContain("-");
    }
}
