package dev.wabamigrator.sandbox;

import static dev.wabamigrator.sandbox.AcsAuthenticator.isBlank;
import static dev.wabamigrator.sandbox.CamsReplies.error;

import dev.wabamigrator.provider.alibaba.CamsOperation;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The business parameters of a cams call: present ({@code Missing<Param>}) and well-formed; extra ones are ignored. */
final class CamsParameters {

    private static final Set<String> METHODS = Set.of("sms", "voice");
    private static final Pattern DIGITS_CC = Pattern.compile("\\d{1,3}");
    private static final Pattern DIGITS_NATIONAL = Pattern.compile("\\d{4,14}");
    private static final Pattern DIGITS_E164 = Pattern.compile("\\d{7,18}");
    private static final Pattern LOCALE = Pattern.compile("[a-z]{2,3}(_[A-Za-z]{2,4})?");

    private CamsParameters() {
    }

    /** Null when the parameters are fine, else the error reply. */
    static SandboxReply validate(String requestId, CamsOperation op, Map<String, String> params) {
        for (String name : op.parameters()) {
            if (isBlank(params.get(name))) {
                return error(requestId, 400, "Missing" + name, name + " is mandatory for this action.");
            }
        }
        for (String name : op.parameters()) {
            String value = params.get(name);
            Pattern digits = switch (name) {
                case CamsOperation.COUNTRY_CODE -> DIGITS_CC;
                case CamsOperation.MOBILE_NUMBER -> DIGITS_NATIONAL;
                case CamsOperation.PHONE_NUMBER -> DIGITS_E164;
                default -> null;
            };
            if (digits != null && !digits.matcher(value).matches()) {
                return error(requestId, 400, "InvalidParameter.PhoneNumberError",
                        "Number abnormal: " + name + " must be digits only ("
                                + (name.equals(CamsOperation.PHONE_NUMBER) ? "country code included" : "no country code")
                                + ", no '+').");
            }
            if (name.equals(CamsOperation.METHOD) && !METHODS.contains(value)) {
                return error(requestId, 400, "InvalidParameter.Method", "Method must be sms or voice.");
            }
            if (name.equals(CamsOperation.LOCALE) && !LOCALE.matcher(value).matches()) {
                return error(requestId, 400, "InvalidParameter.Locale", "Locale is not valid, e.g. zh_CN or en_US.");
            }
        }
        return null;
    }

    /** CC + number for initiate, PhoneNumber otherwise; null when the parameters do not name one. */
    static String phoneNumber(CamsOperation op, Map<String, String> params) {
        if (op == CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE) {
            String cc = params.get(CamsOperation.COUNTRY_CODE);
            String number = params.get(CamsOperation.MOBILE_NUMBER);
            return isBlank(cc) || isBlank(number) ? null : cc.trim() + number.trim();
        }
        String phone = params.get(CamsOperation.PHONE_NUMBER);
        return isBlank(phone) ? null : phone.trim();
    }

    /** The last four digits, which choose a scripted outcome. */
    static String last4(String phone) {
        return phone == null || phone.length() < 4 ? "" : phone.substring(phone.length() - 4);
    }
}
