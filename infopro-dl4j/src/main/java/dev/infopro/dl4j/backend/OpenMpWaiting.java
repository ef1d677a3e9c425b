package dev.infopro.dl4j.backend;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * How long the idle OpenMP threads of libnd4j and oneDNN spin before they sleep. GNU OpenMP (libgomp, which ND4J's
 * CPU build ships) lets a thread that finished its part of a parallel region spin for about 300,000 iterations,
 * waiting for the next region, unless the process says otherwise. PyTorch's ops follow each other within
 * microseconds, so that spinning pays. Between DL4J's native ops the calling thread runs Java code for a while (layer
 * logic, workspaces, this library's batch-norm and upsampling kernels on the fork-join pool), and the spinning thread
 * takes a core from it, from the JIT compiler and from the garbage collector. {@link #preferShortSpin()} sets libgomp's
 * {@code GOMP_SPINCOUNT} to 1,000, the count libgomp itself uses when threads outnumber cores: ResNet-20 and ResNet-110
 * training steps take 12-17% less time on two cores (docs/benchmarks.md, "OpenMP's idle threads").
 *
 * <p>libgomp reads its environment once, when it is loaded, so this works only before ND4J's native library is loaded,
 * e.g. first thing in {@code main}; the {@code infopro} tool does so. Elsewhere, start the JVM with
 * {@code GOMP_SPINCOUNT=1000} (or {@code OMP_WAIT_POLICY=PASSIVE}) in its environment.
 */
public final class OpenMpWaiting {
    /** libgomp's variable for the number of spins before an idle thread sleeps. */
    public static final String SPIN_COUNT_VARIABLE = "GOMP_SPINCOUNT";
    /** OpenMP's standard variable for the same choice ({@code ACTIVE} spins on, {@code PASSIVE} sleeps at once). */
    public static final String WAIT_POLICY_VARIABLE = "OMP_WAIT_POLICY";
    /** libgomp's own spin count for machines where threads outnumber cores. */
    public static final String SHORT_SPIN_COUNT = "1000";

    /** What {@link #preferShortSpin()} did. */
    public enum Outcome {
        /** {@code GOMP_SPINCOUNT} was set to {@link #SHORT_SPIN_COUNT} before libgomp was loaded. */
        SET,
        /** The environment already chooses (either variable is set); it is left as it is. */
        LEFT_TO_ENVIRONMENT,
        /** libgomp is loaded already and has read its environment; nothing was changed. */
        TOO_LATE,
        /** Not Linux, or the C library could not be called; nothing was changed. */
        UNSUPPORTED
    }

    private OpenMpWaiting() {
    }

    /**
     * Sets {@code GOMP_SPINCOUNT} to {@link #SHORT_SPIN_COUNT} in this process's environment, unless the environment
     * already sets it or {@code OMP_WAIT_POLICY}, or libgomp is loaded. Call it before anything touches ND4J.
     */
    public static Outcome preferShortSpin() {
        Function getenv = libc("getenv");
        Function setenv = libc("setenv");
        if (getenv == null || setenv == null) {
            return Outcome.UNSUPPORTED;
        }
        if (get(getenv, SPIN_COUNT_VARIABLE) != null || get(getenv, WAIT_POLICY_VARIABLE) != null) {
            return Outcome.LEFT_TO_ENVIRONMENT;
        }
        if (libgompLoaded()) {
            return Outcome.TOO_LATE;
        }
        // overwrite = 0: a concurrent setter of the same variable wins; reading it again below tells the truth anyway
        setenv.invokeInt(new Object[] {SPIN_COUNT_VARIABLE, SHORT_SPIN_COUNT, 0});
        return SHORT_SPIN_COUNT.equals(get(getenv, SPIN_COUNT_VARIABLE)) ? Outcome.SET : Outcome.LEFT_TO_ENVIRONMENT;
    }

    /**
     * The process's current choice as one line, for diagnostics: the two variables as the C library sees them now
     * (which {@link System#getenv()} does not, once changed), and whether libgomp is loaded.
     */
    public static String describe() {
        Function getenv = libc("getenv");
        if (getenv == null) {
            return "unknown (not Linux)";
        }
        String spin = get(getenv, SPIN_COUNT_VARIABLE);
        String policy = get(getenv, WAIT_POLICY_VARIABLE);
        String choice = spin == null && policy == null
                ? "libgomp's default (idle threads spin about 300,000 times): set " + SPIN_COUNT_VARIABLE + "="
                        + SHORT_SPIN_COUNT + " in the JVM's environment to leave the cores to Java between native ops"
                : String.format(Locale.ROOT, "%s=%s, %s=%s", SPIN_COUNT_VARIABLE, spin == null ? "(unset)" : spin,
                        WAIT_POLICY_VARIABLE, policy == null ? "(unset)" : policy);
        return choice + (libgompLoaded() ? "" : " (libgomp not loaded yet)");
    }

    private static String get(Function getenv, String name) {
        return (String) getenv.invoke(String.class, new Object[] {name});
    }

    private static Function libc(String name) {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return null;
        }
        try {
            return NativeLibrary.getInstance("c").getFunction(name);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }

    /** Whether any libgomp is mapped into this process (Linux's /proc/self/maps). */
    static boolean libgompLoaded() {
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            return maps.anyMatch(line -> line.contains("/libgomp"));
        } catch (IOException | RuntimeException e) {
            return true; // cannot tell: do not claim that a change would take effect
        }
    }
}
