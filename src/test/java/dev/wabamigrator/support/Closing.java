package dev.wabamigrator.support;

/** Closes test resources in the order given, each one even when an earlier one failed, skipping the ones never opened. */
public final class Closing {
    private Closing() {
    }

    /** Throws the first failure, with the later ones suppressed in it. */
    public static void inOrder(AutoCloseable... resources) throws Exception {
        Exception first = null;
        for (AutoCloseable resource : resources) {
            if (resource == null) {
                continue;
            }
            try {
                resource.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
