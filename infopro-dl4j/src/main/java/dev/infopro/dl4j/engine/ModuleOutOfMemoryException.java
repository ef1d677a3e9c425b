package dev.infopro.dl4j.engine;

/**
 * A local module ran out of memory during its training step (Java heap, or ND4J's off-heap allocator: "Failed to
 * allocate", JavaCPP "Cannot allocate", ND4J's OutOfMemory). The message names the module and what to change.
 */
public class ModuleOutOfMemoryException extends RuntimeException {
    private final int moduleIndex;

    /**
     * @param moduleIndex 0-based index of the module that ran out
     * @param numModules  K
     * @param batchSize   the mini-batch size of the step
     * @param cause       the original error
     */
    public ModuleOutOfMemoryException(int moduleIndex, int numModules, int batchSize, Throwable cause) {
        super("Out of memory while training module " + (moduleIndex + 1) + " of " + numModules + " (batch "
                + batchSize + "): " + rootMessage(cause) + ". Use more modules (larger K) to shrink the largest one,"
                + " the memory-balanced split (SplitStrategy.BALANCED_MEMORY / --balanced), a smaller batch, or raise"
                + " the off-heap limit (-Dorg.bytedeco.javacpp.maxbytes / maxphysicalbytes)", cause);
        this.moduleIndex = moduleIndex;
    }

    /** 0-based index of the module that ran out of memory. */
    public int getModuleIndex() {
        return moduleIndex;
    }

    /** Whether {@code t} or one of its causes is an out-of-memory condition of the JVM or of ND4J/JavaCPP. */
    public static boolean isOutOfMemory(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof OutOfMemoryError || c instanceof ModuleOutOfMemoryException) {
                return true;
            }
            String m = c.getMessage();
            if (m != null && (m.contains("Failed to allocate") || m.contains("Cannot allocate")
                    || m.contains("Out of memory") || m.contains("OutOfMemory") || m.contains("out of memory"))) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() != null ? c.getMessage() : c.toString();
    }
}
