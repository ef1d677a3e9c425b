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
 * attached, and returns the measured figures, the analytic estimate and the median step time. Run it in a fresh
 * JVM ({@link ForkedJvm}) for figures that do not depend on what ran before.
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
        MemoryEstimate estimate;
        /** Median milliseconds per training step (the first step, which sizes the workspaces, is left out). */
        double stepMs;

        /** Flat map for one JSON line. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("k", numModules);
            m.put("batch", batchSize);
            m.put("measured_peak_bytes", measured.rssIncreaseBytes());
            m.put("step_peak_bytes", Arrays.stream(measured.getStepPeakRssBytes())
                    .map(p -> p < 0 ? p : p - measured.getBaselineRssBytes()).toArray());
            m.put("peak_rss_bytes", measured.getPeakRssBytes());
            m.put("baseline_rss_bytes", measured.getBaselineRssBytes());
            m.put("peak_nd4j_bytes", measured.getPeakNd4jBytes() - measured.getBaselineNd4jBytes());
            m.put("peak_array_bytes", measured.getPeakArrayBytes());
            m.put("peak_workspace_bytes", measured.getPeakWorkspaceBytes());
            m.put("estimated_bytes", estimate.totalBytes());
            m.put("estimated_fixed_bytes", estimate.getFixedBytes());
            m.put("estimated_module_bytes", estimate.getPerModuleVariableBytes());
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
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        }
        Nd4j.create(1); // load the backend before the baseline, so native libraries are not counted
        MemoryProbe probe = new MemoryProbe().limitBytes(limitBytes);
        LocalModuleGraph g = factory.get();
        g.setListeners(probe);
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            g.fit(batch);
            ms[i] = (System.nanoTime() - t0) / 1e6;
            probe.endStep();
        }
        MemoryFigures f = probe.figures();
        int batchSize = (int) batch.getFeatures().size(0);
        MemoryEstimate est = MemoryEstimator.local(g.getPlan(), batchSize);
        double[] timed = steps > 1 ? Arrays.copyOfRange(ms, 1, steps) : ms;
        return new Result(g.numModules(), batchSize, f, est, median(timed));
    }

    /** The median of {@code values} (which is not modified). */
    public static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
