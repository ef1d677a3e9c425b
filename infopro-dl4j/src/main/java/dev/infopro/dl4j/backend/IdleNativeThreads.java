package dev.infopro.dl4j.backend;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * How long the idle worker threads of ND4J's native libraries wait busily for more work before they sleep. Both
 * runtimes that ND4J's CPU build ships wait long by default: GNU OpenMP (libgomp, under libnd4j and oneDNN) spins
 * about 300,000 times after each parallel region, and OpenBLAS's threads call {@code sched_yield} for about 2^28
 * cycles after each matrix product. PyTorch's ops follow each other within microseconds, so that waiting pays there.
 * Between DL4J's native ops the calling thread runs Java code for a while (layer logic, workspaces, this library's
 * batch-norm and upsampling kernels on the fork-join pool), and the waiting threads take the cores from it, from the
 * JIT compiler and from the garbage collector. {@link #preferShortWaits()} sets libgomp's {@code GOMP_SPINCOUNT} to
 * 1,000 (libgomp's own count when threads outnumber cores) and OpenBLAS's {@code OPENBLAS_THREAD_TIMEOUT} to 4 (2^4
 * cycles, its shortest): on two cores ResNet-20 and ResNet-110 training steps take 12-17% less time with the first,
 * InfoPro steps with their heads' matrix products 13% less again with the second (docs/benchmarks.md, "OpenMP's idle
 * threads").
 *
 * <p>Both libraries read their environment once, when they are loaded, so this works only before ND4J's native
 * libraries load, e.g. first thing in {@code main}; the {@code infopro} tool does so. Elsewhere, start the JVM with
 * {@code GOMP_SPINCOUNT=1000 OPENBLAS_THREAD_TIMEOUT=4} in its environment.
 */
public final class IdleNativeThreads {
    /** libgomp's variable for the number of spins before an idle thread sleeps. */
    public static final String SPIN_COUNT_VARIABLE = "GOMP_SPINCOUNT";
    /** OpenMP's standard variable for the same choice ({@code ACTIVE} spins on, {@code PASSIVE} sleeps at once). */
    public static final String WAIT_POLICY_VARIABLE = "OMP_WAIT_POLICY";
    /** OpenBLAS's variable: an idle thread yields for 2^n cycles (n from 4 to 30) before it sleeps. */
    public static final String BLAS_TIMEOUT_VARIABLE = "OPENBLAS_THREAD_TIMEOUT";
    /** libgomp's own spin count for machines where threads outnumber cores. */
    public static final String SHORT_SPIN_COUNT = "1000";
    /** OpenBLAS's shortest wait. */
    public static final String SHORT_BLAS_TIMEOUT = "4";

    /** What {@link #preferShortWaits()} did for one runtime. */
    public enum Outcome {
        /** The variable was set before the library was loaded. */
        SET,
        /** The environment already chooses (the variable, or for OpenMP {@code OMP_WAIT_POLICY}, is set). */
        LEFT_TO_ENVIRONMENT,
        /** The library is loaded already and has read its environment; nothing was changed. */
        TOO_LATE,
        /** Not Linux, or the C library could not be called; nothing was changed. */
        UNSUPPORTED
    }

    private IdleNativeThreads() {
    }

    /**
     * Sets {@code GOMP_SPINCOUNT} to {@link #SHORT_SPIN_COUNT} and {@code OPENBLAS_THREAD_TIMEOUT} to
     * {@link #SHORT_BLAS_TIMEOUT} in this process's environment, each unless the environment already chooses or its
     * library is loaded. Call it before anything touches ND4J.
     *
     * @return what happened, by variable ({@code GOMP_SPINCOUNT}, then {@code OPENBLAS_THREAD_TIMEOUT})
     */
    public static Map<String, Outcome> preferShortWaits() {
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        outcomes.put(SPIN_COUNT_VARIABLE, prefer(SPIN_COUNT_VARIABLE, SHORT_SPIN_COUNT,
                List.of(SPIN_COUNT_VARIABLE, WAIT_POLICY_VARIABLE), "/libgomp"));
        outcomes.put(BLAS_TIMEOUT_VARIABLE, prefer(BLAS_TIMEOUT_VARIABLE, SHORT_BLAS_TIMEOUT,
                List.of(BLAS_TIMEOUT_VARIABLE), "/libopenblas"));
        return outcomes;
    }

    private static Outcome prefer(String variable, String value, List<String> choosers, String library) {
        Function getenv = libc("getenv");
        Function setenv = libc("setenv");
        if (getenv == null || setenv == null) {
            return Outcome.UNSUPPORTED;
        }
        if (choosers.stream().anyMatch(v -> get(getenv, v) != null)) {
            return Outcome.LEFT_TO_ENVIRONMENT;
        }
        if (loaded(library)) {
            return Outcome.TOO_LATE;
        }
        // overwrite = 0: a concurrent setter of the same variable wins; reading it again below tells the truth anyway
        setenv.invokeInt(new Object[] {variable, value, 0});
        return value.equals(get(getenv, variable)) ? Outcome.SET : Outcome.LEFT_TO_ENVIRONMENT;
    }

    /**
     * The process's current choice as one line, for diagnostics: the three variables as the C library sees them now
     * (which {@link System#getenv()} does not, once changed), and whether the libraries are loaded yet.
     */
    public static String describe() {
        Function getenv = libc("getenv");
        if (getenv == null) {
            return "unknown (not Linux)";
        }
        String spin = get(getenv, SPIN_COUNT_VARIABLE);
        String policy = get(getenv, WAIT_POLICY_VARIABLE);
        String blas = get(getenv, BLAS_TIMEOUT_VARIABLE);
        if (spin == null && policy == null && blas == null) {
            return "the libraries' defaults (long busy waits): set " + SPIN_COUNT_VARIABLE + "=" + SHORT_SPIN_COUNT
                    + " " + BLAS_TIMEOUT_VARIABLE + "=" + SHORT_BLAS_TIMEOUT
                    + " in the JVM's environment to leave the cores to Java between native ops";
        }
        return String.format(Locale.ROOT, "%s=%s, %s=%s, %s=%s%s", SPIN_COUNT_VARIABLE, orUnset(spin),
                WAIT_POLICY_VARIABLE, orUnset(policy), BLAS_TIMEOUT_VARIABLE, orUnset(blas),
                loaded("/libgomp") ? "" : " (not loaded yet)");
    }

    private static String orUnset(String value) {
        return value == null ? "(unset)" : value;
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

    /** Whether a library whose path contains {@code name} is mapped into this process (Linux's /proc/self/maps). */
    static boolean loaded(String name) {
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            return maps.anyMatch(line -> line.contains(name));
        } catch (IOException | RuntimeException e) {
            return true; // cannot tell: do not claim that a change would take effect
        }
    }
}
