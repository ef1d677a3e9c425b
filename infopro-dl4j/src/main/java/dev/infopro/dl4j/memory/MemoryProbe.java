package dev.infopro.dl4j.memory;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.memory.AllocationsTracker;
import org.nd4j.linalg.api.memory.enums.AllocationKind;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Measures peak memory during training: a DL4J listener that samples ND4J's array and workspace counters after
 * every forward pass, gradient calculation, backward pass and iteration of the model(s) it is attached to (attach
 * it to a {@link dev.infopro.dl4j.engine.LocalModuleGraph} with {@code setListeners(probe)}: it then samples inside
 * every module's step, where that module's activations are alive), and reads the kernel's exact RSS high-water mark
 * at the end. See {@link MemoryFigures} for what each figure counts. Not thread-safe; one probe per training thread.
 */
public final class MemoryProbe extends BaseTrainingListener {
    private long peakArray;
    private long peakWorkspace;
    private long peakNd4j;
    private long baselineNd4j;
    private long baselineRss;
    private long samples;
    private boolean rssPeakReset;
    private long limitBytes;
    private final List<Long> stepPeaks = new ArrayList<>();

    /** A probe whose baseline is the current state (as after {@link #reset()}). */
    public MemoryProbe() {
        reset();
    }

    /**
     * Starts a new measurement: clears the peaks, records the baselines and resets the kernel's RSS high-water mark
     * (where the kernel allows it; otherwise the RSS peak is the process's peak since it started).
     */
    public void reset() {
        peakArray = 0;
        peakWorkspace = 0;
        peakNd4j = 0;
        samples = 0;
        stepPeaks.clear();
        baselineNd4j = Math.max(0, arrayBytes()) + Math.max(0, workspaceBytes());
        rssPeakReset = ProcessMemory.resetPeak();
        baselineRss = ProcessMemory.currentRssBytes();
        sample();
    }

    /**
     * Makes the probe enforce a memory limit: when a sample finds the kernel's RSS peak more than {@code bytes} above
     * the baseline, it throws an {@link OutOfMemoryError} ("Cannot allocate ..."), which the training step reports
     * as a module out of memory. ND4J's CPU allocations are not bounded by JavaCPP's maxbytes (workspaces are
     * native allocations), so this is the dependable way to train "under a fixed limit". Checked at sample points
     * against the exact peak, so a step that crossed the limit fails at its next sample. 0 = no limit.
     */
    public MemoryProbe limitBytes(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("limitBytes must be >= 0 (0 = no limit), got " + bytes);
        }
        this.limitBytes = bytes;
        return this;
    }

    /**
     * Marks the end of one training step: records the RSS peak of the step (since the last call or {@link #reset()})
     * and resets the kernel's high-water mark, so that {@link MemoryFigures#getStepPeakRssBytes()} shows how the peak
     * develops from the first step (which sizes DL4J's workspaces) to the steady state. The overall peak is kept.
     */
    public void endStep() {
        stepPeaks.add(ProcessMemory.peakRssBytes());
        if (rssPeakReset) { // where the kernel refuses, the peak stays the process's own: still right overall
            rssPeakReset = ProcessMemory.resetPeak();
        }
    }

    // The RSS peak since the probe was reset, over all steps.
    private long peakRss() {
        long now = ProcessMemory.peakRssBytes();
        return now < 0 ? now : Math.max(now, stepPeaks.stream().mapToLong(Long::longValue).max().orElse(-1));
    }

    /** Takes one sample of the ND4J counters now (and enforces the limit, if any). */
    public void sample() {
        if (limitBytes > 0 && baselineRss >= 0) {
            long used = peakRss() - baselineRss;
            if (used > limitBytes) {
                throw new OutOfMemoryError("Cannot allocate: training memory " + (used >> 20) + " MiB exceeds the"
                        + " limit of " + (limitBytes >> 20) + " MiB");
            }
        }
        long a = arrayBytes();
        long w = workspaceBytes();
        peakArray = Math.max(peakArray, a);
        peakWorkspace = Math.max(peakWorkspace, w);
        peakNd4j = Math.max(peakNd4j, Math.max(0, a) + Math.max(0, w));
        samples++;
    }

    /** The figures so far (takes a last sample). */
    public MemoryFigures figures() {
        sample();
        long[] steps = stepPeaks.stream().mapToLong(Long::longValue).toArray();
        return new MemoryFigures(peakArray, peakWorkspace, peakNd4j, peakRss(), baselineNd4j, baselineRss, samples,
                steps);
    }

    /** Whether the kernel's RSS peak could be reset by the last {@link #reset()}. */
    public boolean isRssPeakReset() {
        return rssPeakReset;
    }

    private static long arrayBytes() {
        try {
            return Nd4j.getEnvironment().getDeviceCouner(0);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return -1; // backend without the counter
        }
    }

    private static long workspaceBytes() {
        try {
            return AllocationsTracker.getInstance().bytesOnDevice(AllocationKind.WORKSPACE, 0);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
        sample();
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        sample();
    }

    @Override
    public void onGradientCalculation(Model model) {
        sample();
    }

    @Override
    public void onBackwardPass(Model model) {
        sample();
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        sample();
    }
}
