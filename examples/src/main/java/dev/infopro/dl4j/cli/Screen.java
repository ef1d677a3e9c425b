package dev.infopro.dl4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * What the tool shows on the screen: whether DL4J's and ND4J's INFO messages (start-up banner, backend build
 * information) are logged, and whether stderr is a terminal (progress bars) or not (plain per-epoch lines).
 * Both are system properties, set once when the tool starts and passed on to the child JVMs of {@code compare},
 * {@code demo}, {@code memory} and {@code bench} by {@link dev.infopro.dl4j.bench.ForkedJvm}, so a child shows
 * what its parent would.
 */
final class Screen {
    /** slf4j-simple's default level; read once, when the first logger is created. */
    static final String LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";
    /** {@code true} when the tool's stderr is a terminal. */
    static final String TERMINAL_PROPERTY = "infopro.terminal";
    private static final Set<String> MORE_THAN_INFO = Set.of("debug", "trace");

    private Screen() {
    }

    /**
     * Sets the log level (INFO with {@code verbose}, otherwise WARN; a level given with -D is kept unless
     * {@code verbose} asks for more) and records whether this process runs on a terminal. Call before the first
     * logger is created.
     */
    static void configure(boolean verbose) {
        String level = System.getProperty(LOG_LEVEL_PROPERTY);
        if (verbose && (level == null || !MORE_THAN_INFO.contains(level.toLowerCase(Locale.ROOT)))) {
            System.setProperty(LOG_LEVEL_PROPERTY, "info");
        } else if (level == null) {
            System.setProperty(LOG_LEVEL_PROPERTY, "warn");
        }
        if (!verbose) {
            // train --spark on one machine: Spark warns that the host name resolves to the loopback and Hadoop that
            // it has no native library; neither matters for training
            for (String quiet : new String[]{"org.apache.spark.util.Utils", "org.apache.hadoop.util.NativeCodeLoader"}) {
                if (System.getProperty("org.slf4j.simpleLogger.log." + quiet) == null) {
                    System.setProperty("org.slf4j.simpleLogger.log." + quiet, "error");
                }
            }
        }
        if (System.getProperty(TERMINAL_PROPERTY) == null) {
            System.setProperty(TERMINAL_PROPERTY, String.valueOf(System.console() != null && stderrMayBeTerminal()));
        }
    }

    /**
     * False when stderr is known not to be a terminal ({@code 2> file} while stdin and stdout are one): on Linux,
     * {@code /proc/self/fd/2} names the terminal device. True where that cannot be told.
     */
    static boolean stderrMayBeTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return true;
        }
    }

    /** Whether progress bars may be drawn: the property a parent passed on, else whether there is a console. */
    static boolean isTerminal() {
        String v = System.getProperty(TERMINAL_PROPERTY);
        return v != null ? Boolean.parseBoolean(v) : System.console() != null;
    }
}
