package dev.infopro.dl4j.backend;

import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Limits the threads that native ops started from the calling thread use. libnd4j's own thread pool follows ND4J's
 * process-wide {@code Environment.setMaxThreads}; OpenMP, which oneDNN uses, keeps its thread count per calling
 * thread, so a worker thread sets it for itself. Used where several Java threads run ops at once, so that they do
 * not oversubscribe the cores.
 */
public final class NativeThreads {
    private NativeThreads() {
    }

    /** Native ops started from this thread use at most {@code threads} OpenMP threads. */
    public static void limitCurrentThread(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
    }
}
