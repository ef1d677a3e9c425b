package dev.infopro.dl4j.bench;

import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.planning.MemoryEstimate;
import dev.infopro.dl4j.planning.MemoryEstimator;
import dev.infopro.dl4j.memory.MemoryFigures;
import dev.infopro.dl4j.memory.MemoryProbe;
import lombok.Value;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One memory measurement: builds a {@link LocalModuleGraph} after the probe's baseline (so parameters, gradients
 * and updater state count, as in the estimate), trains it for a few steps on one batch with a {@link MemoryProbe}
 * attached, and returns the measured figures, the analytic estimate and the median step time. A model without DL4J
 * listeners (a SameDiff one) is measured through {@link #measureSteps}: the same baseline, steps and exact RSS peak,
 * without ND4J's sampled counters and the estimate. Run it in a fresh JVM ({@link ForkedJvm}) for figures that do
 * not depend on what ran before.
 */
public final class MemoryBenchmark {
    private MemoryBenchmark() {
    }

    /** Figures of one run. */
    @Value
    public static class Result {
        int numModules;
        int batchSize;
        MemoryFigures measured;
        /** The analytic estimate, or null where there is none ({@link #measureSteps}). */
        MemoryEstimate estimate;
        /**
         * Whether the probe sampled ND4J's counters inside every step (attached as a DL4J listener); when not, the
         * counters' "peaks" would only be their values between steps, so {@link #toMap()} reports them as null.
         */
        boolean countersSampledInSteps;
        /** Median milliseconds per training step (the first step, which sizes the workspaces, is left out). */
        double stepMs;

        /** Flat map for one JSON line; figures that were not measured or estimated are null. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("k", numModules);
            m.put("batch", batchSize);
            m.put("measured_peak_bytes", measured.rssIncreaseBytes());
            m.put("step_peak_bytes", Arrays.stream(measured.getStepPeakRssBytes())
                    .map(p -> p < 0 ? p : p - measured.getBaselineRssBytes()).toArray());
            m.put("peak_rss_bytes", measured.getPeakRssBytes());
            m.put("baseline_rss_bytes", measured.getBaselineRssBytes());
            boolean c = countersSampledInSteps;
            m.put("peak_nd4j_bytes", c ? measured.getPeakNd4jBytes() - measured.getBaselineNd4jBytes() : null);
            m.put("peak_array_bytes", c ? measured.getPeakArrayBytes() : null);
            m.put("peak_workspace_bytes", c ? measured.getPeakWorkspaceBytes() : null);
            m.put("estimated_bytes", estimate == null ? null : estimate.totalBytes());
            m.put("estimated_fixed_bytes", estimate == null ? null : estimate.getFixedBytes());
            m.put("estimated_module_bytes", estimate == null ? null : estimate.getPerModuleVariableBytes());
            m.put("step_ms", Math.round(stepMs * 10) / 10.0);
            return m;
        }
    }

    /**
     * @param factory builds the graph (called after the baseline is taken)
     * @param batch   the training batch, reused every step
     * @param steps   training steps (&gt;= 1)
     */
    public static Result measure(Supplier<LocalModuleGraph> factory, DataSet batch, int steps) {
        return measure(factory, batch, steps, 0);
    }

    /**
     * As {@link #measure(Supplier, DataSet, int)}, failing with an out-of-memory error (a
     * {@link dev.infopro.dl4j.engine.ModuleOutOfMemoryException} naming the module) when the measured training
     * memory exceeds {@code limitBytes} (0 = no limit; see {@link MemoryProbe#limitBytes(long)}).
     */
    public static Result measure(Supplier<LocalModuleGraph> factory, DataSet batch, int steps, long limitBytes) {
        checkSteps(steps);
        MemoryProbe probe = baselineProbe(limitBytes);
        LocalModuleGraph g = factory.get();
        g.setListeners(probe);
        double stepMs = trainSteps(probe, () -> g.fit(batch), steps);
        MemoryFigures f = probe.figures();
        int batchSize = (int) batch.getFeatures().size(0);
        MemoryEstimate est = MemoryEstimator.local(g.getPlan(), batchSize);
        return new Result(g.numModules(), batchSize, f, est, true, stepMs);
    }

    /**
     * Measures a model that cannot carry a DL4J listener, such as a {@code SameDiffLocalModel}: {@code factory}
     * builds it after the same baseline as {@link #measure(Supplier, DataSet, int, long)} and returns one training
     * step on the batch. The RSS figures are the same quantity, measured the same way (the kernel's exact
     * high-water mark above the baseline, per step and overall). ND4J's counters can only be sampled between steps,
     * so they are not reported, and there is no estimate. A limit ({@code limitBytes} &gt; 0) is checked after every
     * step against the exact peak, so a step over it fails when it ends rather than inside a module.
     *
     * @param factory    builds the model (called after the baseline is taken) and returns one training step
     * @param numModules the model's number of modules (K), for the result
     * @param batchSize  the training batch's size, for the result
     * @param steps      training steps (&gt;= 1)
     * @param limitBytes the training-memory limit, 0 = none
     */
    public static Result measureSteps(Supplier<Runnable> factory, int numModules, int batchSize, int steps,
                                      long limitBytes) {
        checkSteps(steps);
        MemoryProbe probe = baselineProbe(limitBytes);
        Runnable step = factory.get();
        double stepMs = trainSteps(probe, () -> {
            step.run();
            probe.sample(); // the only point where the limit can be checked
        }, steps);
        return new Result(numModules, batchSize, probe.figures(), null, false, stepMs);
    }

    private static void checkSteps(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        }
    }

    private static MemoryProbe baselineProbe(long limitBytes) {
        Nd4j.create(1); // load the backend before the baseline, so native libraries are not counted
        return new MemoryProbe().limitBytes(limitBytes);
    }

    // Runs the steps, marking each one's end on the probe; returns the median step time in ms.
    private static double trainSteps(MemoryProbe probe, Runnable step, int steps) {
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            step.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
            probe.endStep();
        }
        double[] timed = steps > 1 ? Arrays.copyOfRange(ms, 1, steps) : ms;
        return median(timed);
    }

    /** The median of {@code values} (which is not modified). */
    public static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
