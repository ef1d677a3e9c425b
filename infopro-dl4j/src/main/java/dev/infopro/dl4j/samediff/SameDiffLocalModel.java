package dev.infopro.dl4j.samediff;

import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.data.IteratorChecks;
import dev.infopro.dl4j.data.Normalization;
import dev.infopro.dl4j.engine.BatchChecks;
import dev.infopro.dl4j.engine.CheckpointableModel;
import dev.infopro.dl4j.engine.ModuleExecutor;
import dev.infopro.dl4j.engine.ModuleTrainer;
import dev.infopro.dl4j.engine.ReconstructionTarget;
import dev.infopro.dl4j.engine.SequentialExecutor;
import dev.infopro.dl4j.engine.StepOutcome;
import dev.infopro.dl4j.engine.TrainingDivergedException;
import dev.infopro.dl4j.optim.TorchSgd;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * InfoPro local training of a {@link SameDiffNetwork}: the network cut after the given units into K module graphs
 * ({@link SameDiffModuleGraphs}), each trained by a {@link SameDiffModuleTrainer} through the engine's
 * {@link SequentialExecutor} (module k+1 sees h_k computed before module k's step; only one module's activations
 * are alive at a time), with the same method, lambdas, reconstruction target, updater rule and coupled weight decay
 * as the {@code ComputationGraph} path.
 *
 * <pre>{@code
 * SameDiffLocalModel local = SameDiffLocalModel.builder(SameDiffResNet.of(CifarResNet.builder().depth(20).build()))
 *         .cutAfter("s1b2", "s2b2")
 *         .method(LocalLearning.infoProContrast())
 *         .inputNormalization(Normalization.of(mean, std))
 *         .updater(new TorchSgd(0.1)).weightDecay(1e-4)
 *         .build();
 * local.fit(trainIterator, 10);
 * SameDiff plain = local.toSameDiff();   // the backbone with the trained weights, no heads
 * }</pre>
 */
public final class SameDiffLocalModel implements CheckpointableModel {
    private final SameDiffNetwork network;
    private final List<String> cuts;
    private final List<SameDiffModuleTrainer> trainers;
    private final ReconstructionTarget target;
    private final InputType inputType;
    /** Whether the builder was given the data's normalisation. */
    private final boolean normalized;
    /** Whether a batch's reconstruction target was seen in [0, 1] (checked once: the normalisation is fixed). */
    private boolean targetChecked;
    private final ModuleExecutor executor = new SequentialExecutor();
    private int iteration;
    private int epoch;

    private SameDiffLocalModel(Builder b) {
        this.network = b.network;
        this.cuts = List.copyOf(b.cuts);
        List<String> units = network.getUnitNames();
        int k = cuts.size() + 1;
        int[] bounds = new int[k + 1]; // module m holds units bounds[m] .. bounds[m + 1] - 1
        for (int m = 0; m < k; m++) {
            bounds[m + 1] = m == k - 1 ? units.size() : units.indexOf(cuts.get(m)) + 1;
        }
        LambdaSchedule schedule = b.lambdas;
        if (schedule == null && b.method.usesLambdas() && k >= 2) {
            boolean[] batchNorm = new boolean[k - 1];
            for (int m = 0; m < k - 1; m++) {
                batchNorm[m] = network.hasBatchNorm(bounds[m], bounds[m + 1]);
            }
            schedule = LambdaSchedule.defaultFor(k, batchNorm);
        }
        if (b.seed != null) {
            Nd4j.getRandom().setSeed(b.seed);
        }
        List<SameDiffModuleTrainer> ts = new ArrayList<>();
        for (int m = 0; m < k; m++) {
            boolean last = m == k - 1;
            double[] lambdas = last ? null : b.method.lambdas(schedule, m, k - 1);
            SameDiffModuleGraphs g = SameDiffModuleGraphs.build(network, m, bounds[m], bounds[m + 1], last, b.method,
                    lambdas);
            ts.add(new SameDiffModuleTrainer(g, b.updater, b.weightDecay));
        }
        this.trainers = Collections.unmodifiableList(ts);
        long[] in = network.getInputShape();
        this.inputType = InputType.convolutional(in[1], in[2], in[0]);
        this.normalized = b.normalization != null;
        Normalization n = normalized ? b.normalization : Normalization.none((int) in[0]);
        this.target = new ReconstructionTarget(n, inputType);
    }

    /** A builder for local training of {@code network}. */
    public static Builder builder(SameDiffNetwork network) {
        return new Builder(network);
    }

    /** The network being trained. */
    public SameDiffNetwork getNetwork() {
        return network;
    }

    /** The units after which the network is cut. */
    public List<String> getCuts() {
        return cuts;
    }

    /** The module trainers in order. */
    public List<SameDiffModuleTrainer> getTrainers() {
        return trainers;
    }

    /** Number of accepted training steps so far. */
    public int getIteration() {
        return iteration;
    }

    /** Number of epochs completed by {@link #fit(DataSetIterator, int)}. */
    public int getEpoch() {
        return epoch;
    }

    /** The same as {@link #getEpoch()}, for {@link CheckpointableModel}. */
    @Override
    public int getEpochCount() {
        return epoch;
    }

    /** The same as {@link #getIteration()}, for {@link CheckpointableModel}. */
    @Override
    public int getIterationCount() {
        return iteration;
    }

    void setCounters(int iteration, int epoch) {
        this.iteration = iteration;
        this.epoch = epoch;
    }

    /**
     * Saves the training state (parameters, running statistics, updater state, counters) atomically to
     * {@code file}; {@link #restore} continues from it exactly. The network's code is not saved.
     */
    public void save(Path file) throws IOException {
        SameDiffModelState.save(this, file);
    }

    /**
     * Restores a state written by {@link #save} into this model, which must have the same network and cuts.
     *
     * @throws IllegalArgumentException when the file does not fit this model (nothing is changed then)
     */
    public void restore(Path file) throws IOException {
        SameDiffModelState.restore(this, file);
        parametersChanged();
    }

    /**
     * Writes the same state as {@link #save(Path)} to a stream (not atomic; the stream is not closed). This is what
     * {@code checkpoint.CheckpointManager.save} stores, so SameDiff runs get the same crash-safe checkpoints as
     * {@code LocalModuleGraph} runs.
     */
    @Override
    public void save(OutputStream out) throws IOException {
        SameDiffModelState.write(this, out);
    }

    /**
     * Restores a state written by {@link #save(OutputStream)} into this model, which must have the same network and
     * cuts; e.g. {@code restore(checkpoint.openModelState())} for a checkpoint of this model. The stream is not
     * closed.
     *
     * @throws IllegalArgumentException when the state does not fit this model (nothing is changed then)
     */
    public void restore(InputStream in) throws IOException {
        SameDiffModelState.restore(this, in, "stream");
        parametersChanged();
    }

    // The trainers cache derived data of their parameters; a restore replaces the parameters under them.
    private void parametersChanged() {
        for (SameDiffModuleTrainer t : trainers) {
            t.parametersChanged();
        }
    }

    /**
     * One training step of every module on {@code batch} (features {@code [N, C, H, W]}, one-hot labels), checked
     * against the network first, as in {@code LocalModuleGraph}; the first batch's reconstruction target must be in
     * [0, 1].
     *
     * @return each module's loss
     * @throws IllegalArgumentException when the batch does not fit the network, or the first batch's target is
     *                                  outside [0, 1] (the message says what to pass)
     * @throws TrainingDivergedException when a module's loss or gradient is not finite (no module was updated)
     */
    public double[] fit(DataSet batch) {
        INDArray[] features = BatchChecks.features(batch);
        INDArray[] labels = {batch.getLabels()};
        BatchChecks.check(new InputType[]{inputType}, network.getNumClasses(), 1, features, labels);
        if (!targetChecked) {
            target.requireUnitRange(features[0], normalized ? "the input with inputNormalization(...) undone"
                    : "the input itself: no inputNormalization(...) was given", "Give the builder"
                    + " inputNormalization(...) with the mean and std the data was standardised with (the target is"
                    + " x * std + mean per channel), e.g. an ImageDataSetIterator's getNormalization()");
            targetChecked = true;
        }
        List<ModuleTrainer> steps = new ArrayList<>(trainers);
        StepOutcome o = executor.step(steps, features, labels, target, iteration, epoch);
        if (!o.isAccepted()) {
            throw new TrainingDivergedException(o.getRejectedModule(), epoch, iteration, o.getNonFinite());
        }
        iteration++;
        return o.getScores();
    }

    /**
     * Trains {@code epochs} epochs on {@code data}.
     *
     * @throws IllegalArgumentException when {@code epochs < 1}, when {@code epochs > 1} and {@code data} cannot
     *                                  reset, or when it gives no batch
     */
    public void fit(DataSetIterator data, int epochs) {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        IteratorChecks.requireResettable(epochs, data.resetSupported());
        for (int e = 0; e < epochs; e++) {
            fitEpoch(data);
        }
    }

    /**
     * Trains one epoch on {@code data} (reset first when it can) and counts it.
     *
     * @return each mini-batch's module losses, {@code [batch][module]}, for callers that report them
     */
    public List<double[]> fitEpoch(DataSetIterator data) {
        List<double[]> losses = new ArrayList<>();
        IteratorChecks.startTrainingPass(data);
        while (data.hasNext()) {
            losses.add(fit(data.next()));
        }
        epoch++;
        return losses;
    }

    /** The network's prediction (inference mode: running statistics, no heads) through the module chain. */
    public INDArray output(INDArray features) {
        INDArray[] x = {features};
        for (SameDiffModuleTrainer t : trainers) {
            INDArray[] next = t.output(x);
            if (x[0] != features) {
                x[0].close();
            }
            x = next;
        }
        return x[0];
    }

    /** Classification accuracy and the other DL4J measures of {@link #output} on {@code data}. */
    public Evaluation evaluate(DataSetIterator data) {
        Evaluation eval = new Evaluation(network.getNumClasses());
        if (data.resetSupported()) {
            data.reset();
        }
        while (data.hasNext()) {
            DataSet b = data.next();
            IteratorChecks.requireEvaluationLabels(b);
            INDArray p = output(b.getFeatures());
            eval.eval(b.getLabels(), p);
            p.close();
        }
        return eval;
    }

    /**
     * The plain network as one SameDiff graph (placeholder {@link SameDiffNetwork#INPUT}, output
     * {@code "prediction"}, batch norm on running statistics) holding copies of the trained weights and no heads.
     * Save it with SameDiff's own {@code save(file, true)}.
     */
    public SameDiff toSameDiff() {
        Map<String, INDArray> state = stateArrays();
        SameDiff sd = network.inferenceGraph();
        for (SDVariable v : sd.variables()) {
            if (v.getVariableType() == VariableType.VARIABLE || v.getVariableType() == VariableType.CONSTANT) {
                INDArray a = state.get(v.name());
                if (a != null) {
                    v.getArr().assign(a);
                } else if (v.getVariableType() == VariableType.VARIABLE) {
                    throw new IllegalStateException("Exported parameter '" + v.name() + "' belongs to no module");
                }
            }
        }
        return sd;
    }

    /** Every module's parameters and running statistics by name (live arrays; heads included). */
    public Map<String, INDArray> stateArrays() {
        Map<String, INDArray> all = new HashMap<>();
        for (SameDiffModuleTrainer t : trainers) {
            all.putAll(t.getGraphs().stateArrays());
        }
        return all;
    }

    /** Builder of a {@link SameDiffLocalModel}. */
    public static final class Builder {
        private final SameDiffNetwork network;
        private List<String> cuts = List.of();
        private LocalLearning method = LocalLearning.infoProContrast();
        private LambdaSchedule lambdas;
        private Normalization normalization;
        private IUpdater updater = new TorchSgd(0.1);
        private double weightDecay = 1e-4;
        private Long seed;

        private Builder(SameDiffNetwork network) {
            if (network == null) {
                throw new IllegalArgumentException("network must not be null");
            }
            this.network = network;
        }

        /** Cut after these units, in network order; none gives end-to-end training (K = 1). */
        public Builder cutAfter(String... units) {
            this.cuts = List.of(units);
            return this;
        }

        /** The method (default InfoPro Contrast with the reference heads). */
        public Builder method(LocalLearning m) {
            this.method = m;
            return this;
        }

        /**
         * The lambdas (default: {@link LambdaSchedule#defaultFor}, the reference's for K, scaled to sum 1 for a
         * local module without batch norm, as on the DL4J path).
         */
        public Builder lambdas(LambdaSchedule schedule) {
            this.lambdas = schedule;
            return this;
        }

        /** How the features were normalised; the decoder rebuilds the image in [0, 1] (default: none). */
        public Builder inputNormalization(Normalization n) {
            this.normalization = n;
            return this;
        }

        /** The updater rule of every parameter (default {@code TorchSgd(0.1)}: Nesterov momentum 0.9). */
        public Builder updater(IUpdater u) {
            this.updater = u;
            return this;
        }

        /** Coupled weight decay on every parameter (default 1e-4, the reference's). */
        public Builder weightDecay(double wd) {
            this.weightDecay = wd;
            return this;
        }

        /** Seeds ND4J's generator before the parameters are initialised. */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /** @return the model; cuts and method are checked here */
        public SameDiffLocalModel build() {
            SameDiffCuts.check(network, cuts, method);
            if (updater == null || !(weightDecay >= 0)) {
                throw new IllegalArgumentException("Need an updater and a weight decay >= 0, got " + updater + ", "
                        + weightDecay);
            }
            return new SameDiffLocalModel(this);
        }
    }
}
