package dev.infopro.dl4j.memory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The process's resident memory as the Linux kernel counts it: current RSS, and the high-water mark
 * {@code VmHWM}, which the kernel keeps itself, so no peak between two samples is missed. ND4J's off-heap arrays,
 * its workspaces and the JVM heap all count, since they are all resident pages of the process.
 *
 * <p>{@link #resetPeak()} writes {@code 5} to {@code /proc/self/clear_refs}, which resets {@code VmHWM} to the
 * current RSS. On systems without {@code /proc} every figure is {@code -1}.
 */
public final class ProcessMemory {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private ProcessMemory() {
    }

    /** Peak resident bytes since start or the last {@link #resetPeak()}; -1 if unknown. */
    public static long peakRssBytes() {
        return statusField("VmHWM:");
    }

    /** Resident bytes now; -1 if unknown. */
    public static long currentRssBytes() {
        return statusField("VmRSS:");
    }

    /**
     * Resets the kernel's peak to the current RSS.
     *
     * @return whether the reset worked (it needs a Linux kernel that allows writing clear_refs)
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static long statusField(String field) {
        try {
            List<String> lines = Files.readAllLines(STATUS, StandardCharsets.US_ASCII);
            for (String line : lines) {
                if (line.startsWith(field)) {
                    String[] parts = line.substring(field.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024L; // the kernel reports kB
                }
            }
        } catch (IOException | NumberFormatException | SecurityException e) {
            return -1;
        }
        return -1;
    }
}
