package dev.wabamigrator.support;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Chromium from the OS packages ({@code apt-get install chromium chromium-driver}; .ci/run installs them),
 * driven through Selenium. Nothing is downloaded: {@code chromium} and {@code chromedriver} are found on the PATH
 * (or named by {@code CHROMIUM_BINARY} and {@code CHROMEDRIVER}); without them the browser tests are skipped loudly,
 * except in CI ({@code CI=true}), where they fail.
 */
public final class Chromium {
    private Chromium() {
    }

    public static ChromeDriver start() {
        Path browser = executable("CHROMIUM_BINARY", "chromium");
        Path driver = executable("CHROMEDRIVER", "chromedriver");
        if (browser == null || driver == null) {
            String message = "Chromium or chromedriver not found on the PATH (or in CHROMIUM_BINARY, CHROMEDRIVER): "
                    + "install them with 'apt-get install -y chromium chromium-driver' to run the browser tests";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new IllegalStateException(message + ": required in CI");
            }
            System.err.println("SKIPPED: " + message);
            Assumptions.abort(message);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(browser.toFile());
        // --no-sandbox: run as root (as CI does), Chromium's sandbox refuses to start
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1600,1000");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(driver.toFile()).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    /** The executable an environment variable names, else the first one of that name on the PATH; null if none. */
    private static Path executable(String variable, String name) {
        String given = System.getenv(variable);
        if (given != null && !given.isBlank()) {
            return Files.isExecutable(Path.of(given)) ? Path.of(given) : null;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isBlank() && Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name);
            }
        }
        return null;
    }
}
