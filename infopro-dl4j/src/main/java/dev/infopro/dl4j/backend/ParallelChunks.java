package dev.infopro.dl4j.backend;

import java.util.stream.IntStream;

/**
 * How this library's Java kernels (batch norm, bilinear upsampling) share out their work: the items 0 to n - 1
 * (channels, slices) in a few contiguous chunks per core, on the common fork-join pool. Small work runs on the calling
 * thread, where handing it over would cost more than it saves. Each item is done by exactly one thread, so a kernel
 * that computes each item on its own gets the same results on any number of threads.
 */
public final class ParallelChunks {
    /** Below this many elements touched in all, the work stays on the calling thread. */
    static final long PARALLEL_THRESHOLD = 1L << 15;
    private static final int CHUNKS_PER_CORE = 4;

    /** The work on the items {@code from} (inclusive) to {@code to} (exclusive), with scratch of its own. */
    @FunctionalInterface
    public interface Chunk {
        /**
         * @param from first item, inclusive
         * @param to   end, exclusive
         */
        void run(int from, int to);
    }

    private ParallelChunks() {
    }

    /**
     * Runs {@code chunk} over the items 0 to {@code items} - 1, split into contiguous ranges that together cover each
     * item once; in parallel when {@code elements}, the work's size in array elements, is large enough.
     */
    public static void run(int items, long elements, Chunk chunk) {
        int chunks = elements < PARALLEL_THRESHOLD ? 1
                : Math.min(items, CHUNKS_PER_CORE * Runtime.getRuntime().availableProcessors());
        if (chunks <= 1) {
            chunk.run(0, items);
            return;
        }
        IntStream.range(0, chunks).parallel().forEach(
                k -> chunk.run((int) ((long) items * k / chunks), (int) ((long) items * (k + 1) / chunks)));
    }
}
