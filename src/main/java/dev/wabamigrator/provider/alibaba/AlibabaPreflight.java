package dev.wabamigrator.provider.alibaba;

import dev.wabamigrator.engine.Preflight.Check;
import dev.wabamigrator.engine.Preflight.Status;
import java.util.List;

/**
 * ALIBABA_CHATAPP's preflight, for {@code CheckMigration}: cams documents the same preconditions as Meta (two-step
 * verification off, business verification approved, WABA review Approved; provider-apis.md §1, "Prerequisites"), but
 * offers no read of them before {@code CreateChatappMigrationInitiate}, which is a write: the number is at another
 * BSP, and {@code GetPhoneNumberVerificationStatus} needs the migration's {@code Data.Id}. So each is named, UNKNOWN,
 * for a person to confirm; the flow has no preflight step (it would only repeat these words).
 */
public final class AlibabaPreflight {

    private AlibabaPreflight() {
    }

    public static List<Check> checks() {
        String unread = "not read: cams has no read-only operation for it before CreateChatappMigrationInitiate";
        return List.of(
                new Check("business-verification", Status.UNKNOWN, unread,
                        "confirm the business is verified in Meta Business Suite"),
                new Check("account-review", Status.UNKNOWN, unread,
                        "confirm the WABA bound to the CustSpaceId is Approved"),
                new Check("two-step-verification-off", Status.UNKNOWN, "no API reads it",
                        "the number's owner disables two-step verification at the current BSP"));
    }
}
