package dev.wabamigrator.provider.alibaba;

import dev.wabamigrator.engine.Preflight.Check;
import dev.wabamigrator.engine.Preflight.Status;
import java.util.List;

/**
 * ALIBABA_CHATAPP's preflight, for {@code CheckMigration}: cams documents the same preconditions as Meta (two-step
 * verification off, business verification approved, WABA review Approved; provider-apis.md §1, "Prerequisites"), but
 * offers no read of them. Its read-only {@code GetPhoneNumberVerificationStatus} (CustSpaceId, PhoneNumber) tells only
 * whether the number's ownership was verified for the migration (the flow's check-verification step uses it to skip
 * the code), and its answer for a number not yet initiated is not documented; {@code QueryChatappPhoneNumbers} lists
 * the space's own numbers, not one still at another BSP. So each precondition is named, UNKNOWN, for a person to
 * confirm; the flow has no preflight step (it would only repeat these words).
 */
public final class AlibabaPreflight {

    private AlibabaPreflight() {
    }

    public static List<Check> checks() {
        String unread = "not read: cams has no read-only operation for it";
        return List.of(
                new Check("business-verification", Status.UNKNOWN, unread,
                        "confirm the business is verified in Meta Business Suite"),
                new Check("account-review", Status.UNKNOWN, unread,
                        "confirm the WABA bound to the CustSpaceId is Approved"),
                new Check("two-step-verification-off", Status.UNKNOWN, "no API reads it",
                        "the number's owner disables two-step verification at the current BSP"));
    }
}
