package dev.infopro.dl4j.memory;

import lombok.Value;

/**
 * Peak memory measured by a {@link MemoryProbe} over some training steps. Every figure is in bytes; -1 where the
 * backend or operating system does not report it.
 *
 * <ul>
 *   <li>{@code peakArrayBytes}: ND4J's own counter of ordinary (non-workspace) off-heap array memory
 *       ({@code Nd4j.getEnvironment().getDeviceCouner(0)}), sampled.</li>
 *   <li>{@code peakWorkspaceBytes}: bytes held by workspaces ({@code AllocationsTracker}, kind WORKSPACE): the
 *       <em>reserved</em> size of every open or cached workspace, touched or not, sampled.</li>
 *   <li>{@code peakNd4jBytes}: the largest sampled sum of the two.</li>
 *   <li>{@code peakRssBytes}: the kernel's resident-set high-water mark (VmHWM) since the probe was reset: ND4J
 *       arrays and touched workspace pages, the JVM heap actually used, code and native libraries. Untouched
 *       workspace pages are not resident and not counted. It is exact (the kernel keeps it), not sampled.</li>
 *   <li>{@code baseline*}: the same counters when the probe was reset, e.g. after the model was built, so
 *       {@code peak - baseline} is what the training steps added.</li>
 * </ul>
 * Sampled figures can miss short peaks between two samples (inside one layer's forward or backward pass).
 */
@Value
public class MemoryFigures {
    long peakArrayBytes;
    long peakWorkspaceBytes;
    long peakNd4jBytes;
    long peakRssBytes;
    long baselineNd4jBytes;
    long baselineRssBytes;
    /** Number of samples taken. */
    long samples;
    /**
     * The RSS peak of each step marked with {@link MemoryProbe#endStep()} (absolute, like {@code peakRssBytes});
     * empty when no step was marked.
     */
    long[] stepPeakRssBytes;

    /** Peak RSS above the baseline: what training added to the process, bytes. */
    public long rssIncreaseBytes() {
        return peakRssBytes < 0 || baselineRssBytes < 0 ? -1 : peakRssBytes - baselineRssBytes;
    }
}
