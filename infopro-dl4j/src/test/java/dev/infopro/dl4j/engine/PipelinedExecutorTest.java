package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.data.Normalization;
import dev.infopro.dl4j.planning.ModuleSpec;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pipeline's bookkeeping against the sequential executor, with modules whose step is a closed form: module k's
 * state s becomes s + 1 + x (x its input), its output is s + x and its score s. A chosen (module, batch) is
 * non-finite or throws, late in the pipeline, after earlier modules already ran ahead; nothing may hang.
 */
class PipelinedExecutorTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);

    /** A module with one number of state; slow enough that the workers overlap. */
    static final class FakeTrainer implements ModuleTrainer {
        final ModuleSpec spec;
        final Set<Double> badInputs;
        final Supplier<RuntimeException> failure;
        double state;
        double pending;
        final List<Integer> iterations = new ArrayList<>();

        FakeTrainer(int index, boolean last, Set<Double> badInputs, Supplier<RuntimeException> failure) {
            this.spec = new ModuleSpec(index, List.of("in"), List.of("v" + index), last ? null : "v" + index,
                    List.of("out"), last ? null : List.of(), null);
            this.badInputs = badInputs;
            this.failure = failure;
        }

        @Override
        public ModuleSpec getSpec() {
            return spec;
        }

        @Override
        public ModuleStepResult computeGradient(INDArray[] inputs, INDArray[] labels, int iteration, int epoch) {
            double x = inputs[0].getDouble(0);
            sleep();
            if (failure != null && badInputs.contains(x)) {
                throw failure.get();
            }
            if (badInputs.contains(x)) {
                return new ModuleStepResult(Double.NaN, "loss = NaN", null);
            }
            pending = 1 + x;
            INDArray out = spec.isLast() ? null : Nd4j.scalar(DataType.DOUBLE, state + x).reshape(1, 1);
            return new ModuleStepResult(state, null, out);
        }

        @Override
        public void applyUpdate(int iteration, int epoch, int batchSize) {
            state += pending;
            iterations.add(iteration);
        }

        @Override
        public void discardGradient() {
            pending = 0;
        }

        @Override
        public INDArray[] output(INDArray[] inputs) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void setCounters(int iteration, int epoch) {
        }

        @Override
        public void endEpoch() {
        }

        @Override
        public Snapshot snapshot() {
            double saved = state;
            List<Integer> its = new ArrayList<>(iterations);
            return new Snapshot() {
                @Override
                public void close() {
                }

                @Override
                public String toString() {
                    return saved + " " + its;
                }
            };
        }

        @Override
        public void restore(Snapshot snapshot) {
            String[] parts = snapshot.toString().split(" ", 2);
            state = Double.parseDouble(parts[0]);
            iterations.clear();
            String list = parts[1].substring(1, parts[1].length() - 1);
            if (!list.isEmpty()) {
                for (String s : list.split(", ")) {
                    iterations.add(Integer.parseInt(s));
                }
            }
        }

        @Override
        public void resetWorkspaceSizing() {
        }

        private static void sleep() {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The record of a run: every outcome the sink heard, and each module's final state and update iterations. */
    private static List<String> run(ModuleExecutor executor, int modules, int badModule, double badInput,
                                    Supplier<RuntimeException> failure, boolean skip, int batches) {
        List<ModuleTrainer> trainers = new ArrayList<>();
        for (int k = 0; k < modules; k++) {
            Set<Double> bad = k == badModule ? Set.of(badInput) : ConcurrentHashMap.newKeySet();
            trainers.add(new FakeTrainer(k, k == modules - 1, bad, k == badModule ? failure : null));
        }
        List<Batch> data = new ArrayList<>();
        for (int i = 0; i < batches; i++) {
            data.add(new Batch(new INDArray[]{Nd4j.scalar(DataType.DOUBLE, i).reshape(1, 1)},
                    new INDArray[]{Nd4j.zeros(DataType.DOUBLE, 1, 1)}));
        }
        List<String> log = new ArrayList<>();
        int[] iteration = {0};
        Iterator<Batch> it = data.iterator();
        try {
            executor.run(trainers, it, new ReconstructionTarget(Normalization.none(1), null), 0, new ModuleExecutor.BatchSink() {
                @Override
                public int iteration() {
                    return iteration[0];
                }

                @Override
                public void accept(StepOutcome o) {
                    log.add(iteration[0] + ":" + Arrays.toString(o.getScores()) + ":" + o.getRejectedModule());
                    if (o.isAccepted()) {
                        iteration[0]++;
                    } else if (!skip) {
                        throw new TrainingDivergedException(o.getRejectedModule(), 0, iteration[0], o.getNonFinite());
                    }
                }
            });
        } catch (RuntimeException e) {
            log.add("threw " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        for (ModuleTrainer t : trainers) {
            FakeTrainer f = (FakeTrainer) t;
            log.add("module " + f.spec.getIndex() + " state " + f.state + " updates " + f.iterations);
        }
        return log;
    }

    private static List<String> sequential(int modules, int badModule, double badInput,
                                           Supplier<RuntimeException> failure, boolean skip) {
        return run(new SequentialExecutor(), modules, badModule, badInput, failure, skip, 12);
    }

    private static List<String> pipelined(int modules, int badModule, double badInput,
                                          Supplier<RuntimeException> failure, boolean skip) {
        return assertTimeoutPreemptively(LIMIT,
                () -> run(new PipelinedExecutor(2, 1), modules, badModule, badInput, failure, skip, 12));
    }

    @Test
    void cleanRunsEqualTheSequentialOnes() {
        for (int k : new int[]{2, 3, 4}) {
            List<String> p = pipelined(k, -1, 0, null, false);
            assertEquals(sequential(k, -1, 0, null, false), p, "K = " + k);
            assertTrue(p.get(11).startsWith("11:"), p.toString());
        }
    }

    @Test
    void aBatchRejectedLateIsUndoneInTheModulesThatRanAhead() {
        // module 3 of 4 rejects batch 4; modules 0-2 have run ahead by then and must be put back
        List<String> seqLog = sequential(4, 3, sequentialInput(4, 3, 4), null, true);
        List<String> pipeLog = pipelined(4, 3, sequentialInput(4, 3, 4), null, true);
        assertEquals(seqLog, pipeLog);
        assertTrue(seqLog.stream().anyMatch(l -> l.endsWith(":3")), "a batch must have been rejected: " + seqLog);
    }

    @Test
    void stopAfterALateRejectionLeavesEveryModuleAsBeforeTheBatch() {
        List<String> seqLog = sequential(3, 2, sequentialInput(3, 2, 6), null, false);
        List<String> pipeLog = pipelined(3, 2, sequentialInput(3, 2, 6), null, false);
        assertEquals(seqLog, pipeLog);
        assertTrue(pipeLog.stream().anyMatch(l -> l.startsWith("threw TrainingDivergedException: Training diverged"
                + " in module 2 at epoch 0, iteration 6")), pipeLog.toString());
    }

    @Test
    void aFailingWorkerStopsThePipelineNamingModuleEpochAndIteration() {
        List<String> log = pipelined(3, 1, sequentialInput(3, 1, 7), () -> new IllegalStateException("boom"),
                false);
        assertTrue(log.stream().anyMatch(l -> l.startsWith("threw IllegalStateException: Module 1 failed at epoch"
                + " 0, iteration 7") && l.endsWith("boom")), log.toString());
        // the model is as after batch 6: the same as a sequential run that stopped there
        List<String> seqLog = sequential(3, 1, sequentialInput(3, 1, 7), () -> new IllegalStateException("boom"),
                false);
        assertEquals(seqLog.subList(seqLog.size() - 3, seqLog.size()), log.subList(log.size() - 3, log.size()));
    }

    @Test
    void anOutOfMemoryErrorNamesTheModule() {
        List<String> log = pipelined(3, 2, sequentialInput(3, 2, 4),
                () -> new RuntimeException("Allocation failed: out of memory"), false);
        assertTrue(log.stream().anyMatch(l -> l.startsWith("threw ModuleOutOfMemoryException")), log.toString());
    }

    @Test
    void devicesAndThreadsAreSplitBetweenWorkers() {
        assertEquals(-1, DevicePlacement.deviceFor(3, 4, 1));
        int[] twoDevices = new int[4];
        int[] fourOnTwo = {0, 0, 1, 1};
        for (int k = 0; k < 4; k++) {
            twoDevices[k] = DevicePlacement.deviceFor(k, 4, 2);
        }
        assertArrayEquals(fourOnTwo, twoDevices);
        assertEquals(0, DevicePlacement.deviceFor(0, 2, 4));
        assertEquals(2, DevicePlacement.deviceFor(1, 2, 4));
        assertThrows(IllegalArgumentException.class, () -> DevicePlacement.deviceFor(4, 4, 2));
        assertEquals(1, PipelinedExecutor.threadsPerWorker(2, 2, 0));
        assertEquals(1, PipelinedExecutor.threadsPerWorker(2, 4, 0));
        assertEquals(4, PipelinedExecutor.threadsPerWorker(16, 4, 0));
        assertEquals(3, PipelinedExecutor.threadsPerWorker(16, 4, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PipelinedExecutor(0, 0));
        assertTrue(e.getMessage().contains("depth must be >= 1"), e.getMessage());
    }

    /** The input module {@code module} of {@code modules} receives for batch {@code batch} in a clean run. */
    private static double sequentialInput(int modules, int module, int batch) {
        double[] state = new double[modules];
        double seen = 0;
        for (int b = 0; b <= batch; b++) {
            double x = b;
            for (int k = 0; k < modules; k++) {
                if (k == module && b == batch) {
                    seen = x;
                }
                double out = state[k] + x;
                state[k] += 1 + x;
                x = out;
            }
        }
        return seen;
    }
}
