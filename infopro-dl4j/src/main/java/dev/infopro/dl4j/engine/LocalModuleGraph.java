package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LocalTrainingConfig;
import dev.infopro.dl4j.config.OnNonFinite;
import dev.infopro.dl4j.data.Normalization;
import dev.infopro.dl4j.heads.AuxiliaryHead;
import dev.infopro.dl4j.planning.ModuleSpec;
import dev.infopro.dl4j.planning.Planner;
import dev.infopro.dl4j.planning.TrainingPlan;
import dev.infopro.dl4j.planning.WeightTransfer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.evaluation.IEvaluation;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A DL4J network cut into K gradient-isolated local modules, each trained by its own loss.
 *
 * <p>Module k (k &lt; K) is its own {@link ComputationGraph}: the backbone vertices between cut k-1 and cut k plus
 * the auxiliary heads reading the cut vertex's output h_k. The last module holds the rest of the network with its
 * original output layer(s) and loss. What the modules are is a {@link TrainingPlan} ({@link Planner}); each module
 * is trained by its {@link ModuleTrainer}, and a {@link ModuleExecutor} runs one step of all of them per
 * mini-batch. This class holds the plan, the trainers and the counters, and delegates.
 *
 * <p><b>Training</b> (per mini-batch, k = 1..K): module k runs forward on a detached copy of h_{k-1},
 * back-propagates its loss inside itself and its heads only, and keeps its gradient; the updates of all modules are
 * applied once every loss and gradient is known to be finite (see {@link OnNonFinite}). Its activations are released
 * before module k+1 runs, so peak activation memory is that of the largest module, and the native memory each module
 * frees is handed back to the operating system ({@link #setReleaseNativeMemory(boolean)}). All modules see
 * activations of the same (pre-step) weights: the reference code's "simultaneous" training (docs/method.md §5).
 *
 * <p><b>Weight decay</b> is coupled L2 on every trainable parameter (including biases and batch-norm gamma/beta,
 * which DL4J's own l2 skips): wd * param is added to the mean gradient before the updater. Batch-norm running
 * statistics and frozen parameters are excluded. Regularisation configured on the network's layers still applies.
 *
 * <p><b>Listeners</b>: DL4J {@link TrainingListener}s set with {@link #setListeners} are attached to every module
 * graph, so they are called once per module and iteration with that module as the model;
 * {@link LocalTrainingListener}s are called once per iteration and epoch with this model.
 */
public final class LocalModuleGraph {

    private static final Logger LOG = LoggerFactory.getLogger(LocalModuleGraph.class);

    /** Null until the model is planned (see {@link PendingBuild}). */
    private TrainingPlan plan;
    /** Non-null while the model waits for its first batch to know its input types. */
    private PendingBuild pending;
    private List<GraphModuleTrainer> trainers = List.of();
    private List<ModuleTrainer> steps = List.of();
    private final ModuleExecutor executor = new SequentialExecutor();
    private final LocalInference inference = new LocalInference(this::modulesFor, this::isReleaseNativeMemory);
    private final List<LocalTrainingListener> localListeners = new ArrayList<>();
    private List<TrainingListener> dl4jListeners = List.of();
    /** The reconstruction target's maker, once the normalisation is known (null when no module reconstructs). */
    private ReconstructionTarget target;
    private boolean targetResolved;
    /** The MultiLayerNetwork configuration (JSON) the model was converted from, or null for a ComputationGraph. */
    private String multiLayerOrigin;
    private int iteration;
    private int epoch;
    private double[] lastScores;
    private int skippedBatches;

    LocalModuleGraph(TrainingPlan plan, List<ComputationGraph> graphs, int iteration, int epoch) {
        this.iteration = iteration;
        this.epoch = epoch;
        materialise(plan, graphs);
    }

    /** A model planned and built at its first batch (its input types are not known before). */
    LocalModuleGraph(PendingBuild pending) {
        this.pending = pending;
        this.lastScores = new double[pending.numModules()];
        Arrays.fill(lastScores, Double.NaN);
    }

    private void materialise(TrainingPlan newPlan, List<ComputationGraph> graphs) {
        this.plan = newPlan;
        List<GraphModuleTrainer> ts = new ArrayList<>();
        for (int k = 0; k < graphs.size(); k++) {
            GraphModuleTrainer t = new GraphModuleTrainer(newPlan.getModules().get(k).getSpec(), graphs.get(k),
                    newPlan.getConfig().getWeightDecay(), newPlan.getConfig().isReleaseNativeMemory());
            t.setListeners(dl4jListeners);
            ts.add(t);
        }
        this.trainers = Collections.unmodifiableList(ts);
        this.steps = Collections.unmodifiableList(new ArrayList<>(ts));
        this.lastScores = new double[ts.size()];
        Arrays.fill(lastScores, Double.NaN);
        setCounters();
    }

    /** Plans and builds a pending model with the input types of {@code features} (no-op once planned). */
    private List<ModuleTrainer> modulesFor(INDArray[] features) {
        if (pending != null) {
            TrainingPlan p = pending.plan(features);
            materialise(p, pending.build(p));
            pending = null;
        }
        return steps;
    }

    private TrainingPlan requirePlan(String what) {
        if (plan == null) {
            throw new IllegalStateException(what + " needs the modules, which are built at the first fit(...) or"
                    + " output(...) call: the network's configuration does not determine its input types (DL4J keeps"
                    + " no image size for a convolution), so they are taken from the first batch. Train or run a"
                    + " batch first, or give inputTypes(...) to the builder");
        }
        return plan;
    }

    /** Starts building from an initialised or trained graph; its weights are copied into the modules. */
    public static LocalModuleGraphBuilder builder(ComputationGraph graph) {
        if (graph == null) {
            throw new IllegalArgumentException("graph must not be null");
        }
        if (graph.getLayers() == null) {
            graph.init();
        }
        return new LocalModuleGraphBuilder(graph);
    }

    /** Starts building from a configuration; the network is initialised from it first. */
    public static LocalModuleGraphBuilder builder(ComputationGraphConfiguration configuration) {
        if (configuration == null) {
            throw new IllegalArgumentException("configuration must not be null");
        }
        ComputationGraph g = new ComputationGraph(configuration.clone());
        g.init();
        return new LocalModuleGraphBuilder(g);
    }

    /**
     * Starts building from a MultiLayerNetwork: it is converted to a ComputationGraph with its weights (DL4J names
     * the vertices by layer index, "0", "1", ..., so cuts are given as {@code cutAfter("3")}), and the model
     * exports back to a MultiLayerNetwork ({@link #toMultiLayerNetwork()}).
     */
    public static LocalModuleGraphBuilder builder(MultiLayerNetwork network) {
        if (network == null) {
            throw new IllegalArgumentException("network must not be null");
        }
        if (network.getLayers() == null || network.params() == null) {
            network.init();
        }
        return new LocalModuleGraphBuilder(network.toComputationGraph(), network.getLayerWiseConfigurations().toJson());
    }

    // ------------------------------------------------------------------------------------------------ training

    /** Trains for {@code epochs} passes over {@code data} (reset before each epoch when it supports it). */
    public void fit(DataSetIterator data, int epochs) {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        for (int e = 0; e < epochs; e++) {
            fit(data);
        }
    }

    /**
     * Trains for one pass over {@code data}. At the first batch of a model without a normalisation
     * ({@code inputNormalization(...)}), the reconstruction target's normalisation is read from the iterator: an
     * {@link ImageDataSetIterator}'s own, or its pre-processor's when that is a DL4J {@code NormalizerStandardize},
     * {@code NormalizerMinMaxScaler} or {@code ImagePreProcessingScaler} ({@link Normalization#fromPreProcessor});
     * it is then kept in the configuration.
     *
     * @throws IllegalArgumentException when the reconstruction target is not in [0, 1] (see {@link #fit(DataSet)})
     */
    public void fit(DataSetIterator data) {
        if (data.resetSupported()) {
            data.reset();
        }
        while (data.hasNext()) {
            DataSet batch = data.next();
            step(features(batch), new INDArray[]{batch.getLabels()}, data);
        }
        endEpoch();
    }

    /** Trains for {@code epochs} passes over multi-input / multi-output data. */
    public void fit(MultiDataSetIterator data, int epochs) {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        for (int e = 0; e < epochs; e++) {
            fit(data);
        }
    }

    /**
     * Trains for one pass over multi-input / multi-output data. Its normalisation is not read from a
     * {@code MultiDataSetPreProcessor}: give {@code inputNormalization(...)} when a module reconstructs the input.
     */
    public void fit(MultiDataSetIterator data) {
        if (data.resetSupported()) {
            data.reset();
        }
        while (data.hasNext()) {
            fit(data.next());
        }
        endEpoch();
    }

    /**
     * One training step on one mini-batch; returns the module losses. The first batch plans and builds a model whose
     * input types were not known ({@link LocalModuleGraphBuilder#build()}). When a module reconstructs the input
     * and no normalisation was given or read from an iterator, the input itself is the target, and the first batch
     * is checked to be in [0, 1].
     *
     * @throws IllegalArgumentException for a batch that does not fit the network, or a reconstruction target
     *                                  outside [0, 1] (the message says what to pass)
     */
    public double[] fit(DataSet batch) {
        return step(features(batch), new INDArray[]{batch.getLabels()}, null);
    }

    /** One training step on one multi-input / multi-output mini-batch; returns the module losses. */
    public double[] fit(MultiDataSet batch) {
        if (batch.hasMaskArrays()) {
            throw new IllegalArgumentException("Mask arrays are not supported by local training; use unmasked data");
        }
        return step(batch.getFeatures(), batch.getLabels(), null);
    }

    private static INDArray[] features(DataSet batch) {
        if (batch.getFeaturesMaskArray() != null || batch.getLabelsMaskArray() != null) {
            throw new IllegalArgumentException("Mask arrays are not supported by local training; use unmasked data");
        }
        return new INDArray[]{batch.getFeatures()};
    }

    private double[] step(INDArray[] features, INDArray[] labels, DataSetIterator source) {
        modulesFor(features);
        LocalTrainingConfig config = plan.getConfig();
        BatchChecks.check(config, plan.getModules().get(0).getSpec().getInputNames().size(), features, labels);
        resolveTarget(features[0], source);
        StepOutcome outcome = executor.step(steps, features, labels, target, iteration, epoch);
        double[] scores = outcome.getScores();
        if (!outcome.isAccepted()) {
            if (config.getOnNonFinite() == OnNonFinite.STOP) {
                throw new TrainingDivergedException(outcome.getRejectedModule(), epoch, iteration,
                        outcome.getNonFinite());
            }
            skippedBatches++;
            LOG.warn("Skipping a batch at epoch {}, iteration {}: module {} has {}; no module was updated ({} batches"
                            + " skipped so far)", epoch, iteration, outcome.getRejectedModule(), outcome.getNonFinite(),
                    skippedBatches);
            return scores.clone();
        }
        lastScores = scores;
        for (LocalTrainingListener l : localListeners) {
            l.onIteration(this, epoch, iteration, scores.clone());
        }
        iteration++;
        setCounters();
        return scores.clone();
    }

    // The reconstruction target's normalisation: the configured one (the user's, or one read before and saved) is
    // trusted; otherwise it is read from the iterator or is the identity, and the first batch must then be in [0, 1].
    private void resolveTarget(INDArray features, DataSetIterator source) {
        if (targetResolved) {
            return;
        }
        LocalTrainingConfig config = plan.getConfig();
        boolean reconstructs = plan.moduleSpecs().stream().anyMatch(s -> s.getOutputTargets() != null
                && s.getOutputTargets().contains(AuxiliaryHead.Target.INPUT_IMAGE));
        if (reconstructs) {
            InputType input = config.getInputTypes()[0];
            Normalization n = config.getNormalization();
            if (n == null) {
                n = ReconstructionTarget.chooseNormalization(features, input, source);
                plan = plan.withConfig(config.toBuilder().normalization(n).build());
            }
            target = new ReconstructionTarget(n, input);
        }
        targetResolved = true;
    }

    private void endEpoch() {
        for (ModuleTrainer t : steps) {
            t.endEpoch();
        }
        for (LocalTrainingListener l : localListeners) {
            l.onEpochEnd(this, epoch, lastScores.clone());
        }
        epoch++;
        setCounters();
    }

    private void setCounters() {
        for (ModuleTrainer t : steps) {
            t.setCounters(iteration, epoch);
        }
    }

    // ------------------------------------------------------------------------------------------------ inference

    /**
     * Inference with the backbone only (no heads), in test mode.
     *
     * @return the network outputs, as the original graph's {@code output(false, inputs)} would return them
     */
    public INDArray[] output(INDArray... inputs) {
        return inference.output(inputs);
    }

    /** Classification accuracy etc. of the first network output on {@code data}. */
    public Evaluation evaluate(DataSetIterator data) {
        return doEvaluation(data, new Evaluation())[0];
    }

    /**
     * Runs any DL4J evaluations ({@code Evaluation}, {@code ROC}, {@code ROCMultiClass}, {@code RegressionEvaluation},
     * ...) on the first network output over {@code data}, as DL4J's {@code ComputationGraph.doEvaluation} does.
     *
     * @return the same evaluation objects, filled in
     */
    @SafeVarargs
    public final <T extends IEvaluation> T[] doEvaluation(DataSetIterator data, T... evaluations) {
        if (evaluations == null || evaluations.length == 0) {
            throw new IllegalArgumentException("Give at least one evaluation, e.g. doEvaluation(data, new ROC())");
        }
        return inference.doEvaluation(data, evaluations);
    }

    /**
     * The network without heads: exactly the original topology and configuration, with the trained weights
     * (including batch-norm running statistics). The updater state is not carried over. Before a pending model's
     * first batch, a copy of the network it was built from.
     */
    public ComputationGraph toComputationGraph() {
        ComputationGraph g;
        if (plan == null) {
            g = pending.getSource().clone();
        } else {
            g = new ComputationGraph(plan.networkConfiguration());
            g.init();
            for (GraphModuleTrainer t : trainers) {
                WeightTransfer.copyMatchingLayers(t.getGraph(), g);
            }
        }
        g.getConfiguration().setIterationCount(iteration);
        g.getConfiguration().setEpochCount(epoch);
        return g;
    }

    /**
     * The network as the MultiLayerNetwork it was converted from ({@link #builder(MultiLayerNetwork)}): its own
     * configuration with the trained weights, as {@link #toComputationGraph()} gives them.
     *
     * @throws IllegalStateException when the model was built from a ComputationGraph (use
     *                               {@link #toComputationGraph()})
     */
    public MultiLayerNetwork toMultiLayerNetwork() {
        if (multiLayerOrigin == null) {
            throw new IllegalStateException("This model was built from a ComputationGraph, so it exports as one: use"
                    + " toComputationGraph(). toMultiLayerNetwork() is for models built with"
                    + " LocalModuleGraph.builder(MultiLayerNetwork)");
        }
        return NetworkExport.toMultiLayerNetwork(toComputationGraph(), multiLayerOrigin);
    }

    /** Whether the model was built from a MultiLayerNetwork (and exports as one). */
    public boolean isFromMultiLayerNetwork() {
        return multiLayerOrigin != null;
    }

    /** The MultiLayerNetwork configuration JSON the model was converted from, or null. */
    String getMultiLayerOrigin() {
        return multiLayerOrigin;
    }

    void setMultiLayerOrigin(String json) {
        this.multiLayerOrigin = json;
    }

    // ------------------------------------------------------------------------------------------------ listeners

    /**
     * Replaces the DL4J training listeners, attached to every module graph: each is called once per module and
     * iteration with that module's graph as the model. {@code ScoreIterationListener} and listeners like it work;
     * those that need the whole network are refused with the equivalent to use ({@link Dl4jListeners}).
     *
     * @throws IllegalArgumentException for a listener that cannot work on a local model
     */
    public void setListeners(TrainingListener... trainingListeners) {
        dl4jListeners = Dl4jListeners.check(trainingListeners);
        for (GraphModuleTrainer t : trainers) {
            t.setListeners(dl4jListeners);
        }
    }

    /** Adds a listener called with this model after every iteration and epoch. */
    public void addLocalListener(LocalTrainingListener listener) {
        localListeners.add(listener);
    }

    /** Removes a listener added with {@link #addLocalListener}. */
    public void removeLocalListener(LocalTrainingListener listener) {
        localListeners.remove(listener);
    }

    /** Removes all local listeners. */
    public void clearLocalListeners() {
        localListeners.clear();
    }

    // ------------------------------------------------------------------------------------------------ accessors

    /** The loss of each module on the last mini-batch (NaN before the first step). */
    public double[] lastModuleScores() {
        return lastScores.clone();
    }

    /** K, the number of modules (as requested until a pending model has planned its cuts). */
    public int numModules() {
        return plan == null ? pending.numModules() : trainers.size();
    }

    /** The module graphs (backbone segment plus heads), for inspection. Do not train them directly. */
    public List<ComputationGraph> getModules() {
        requirePlan("getModules()");
        List<ComputationGraph> graphs = new ArrayList<>();
        for (GraphModuleTrainer t : trainers) {
            graphs.add(t.getGraph());
        }
        return Collections.unmodifiableList(graphs);
    }

    /** What each module contains. */
    public List<ModuleSpec> getModuleSpecs() {
        return requirePlan("getModuleSpecs()").moduleSpecs();
    }

    /** The plan this model was built from (with the current configuration). */
    public TrainingPlan getPlan() {
        return requirePlan("getPlan()");
    }

    /**
     * The local training configuration, policies included. Before a pending model's first batch, the settings as
     * given (cuts, input types and defaults not yet resolved).
     */
    public LocalTrainingConfig getConfig() {
        return plan == null ? pending.getSettings() : plan.getConfig();
    }

    /** A copy of the whole network's configuration. */
    public ComputationGraphConfiguration getNetworkConfiguration() {
        return plan == null ? pending.getSource().getConfiguration().clone() : plan.networkConfiguration();
    }

    /** Mini-batches trained so far. */
    public int getIterationCount() {
        return iteration;
    }

    /** Epochs completed so far. */
    public int getEpochCount() {
        return epoch;
    }

    /**
     * Sets what happens when a module's loss or gradient is NaN or infinite (default {@link OnNonFinite#STOP}). It is
     * part of the configuration, so it is saved with the model.
     */
    public void setOnNonFinite(OnNonFinite policy) {
        LocalTrainingConfig c = getConfig().toBuilder().onNonFinite(policy).build();
        setConfig(c);
    }

    private void setConfig(LocalTrainingConfig c) {
        if (plan == null) {
            pending = pending.withSettings(c);
        } else {
            plan = plan.withConfig(c);
        }
    }

    /** The policy for NaN or infinite losses and gradients. */
    public OnNonFinite getOnNonFinite() {
        return getConfig().getOnNonFinite();
    }

    /**
     * Whether freed native memory is handed back to the operating system after each module's backward pass (default
     * true). Each module's activations are freed before the next module runs, but glibc keeps freed blocks in its
     * arenas, resident and fragmented, so without this the process's resident memory (what the OS and container
     * limits see) grows towards that of end-to-end training. With it, the engine calls {@code malloc_trim} after
     * every module, and during each module's first step (while DL4J sizes its workspaces) has glibc map large
     * blocks on their own ({@code mallopt(M_MMAP_THRESHOLD)}, process-wide; set to 32 MiB afterwards, the most
     * glibc's dynamic threshold grows to). After {@link #evaluate} it also destroys this thread's DL4J workspaces,
     * which would otherwise keep the inference workspaces of every module resident beside the training ones; the
     * next training step sizes them again. The cost is that the next module faults some pages in again (tens of ms
     * per module on ResNet-110). No effect where glibc is not available. Part of the configuration, so it is saved
     * with the model.
     */
    public void setReleaseNativeMemory(boolean release) {
        setConfig(getConfig().toBuilder().releaseNativeMemory(release).build());
        for (GraphModuleTrainer t : trainers) {
            t.setReleaseNativeMemory(release);
        }
    }

    /** See {@link #setReleaseNativeMemory(boolean)}. */
    public boolean isReleaseNativeMemory() {
        return getConfig().isReleaseNativeMemory();
    }

    /** Mini-batches skipped by {@link OnNonFinite#SKIP_BATCH} since this object was built or loaded. */
    public int getSkippedBatchCount() {
        return skippedBatches;
    }

    // ------------------------------------------------------------------------------------------------ persistence

    /**
     * Writes everything needed to continue training exactly (module graphs with parameters and updater state,
     * configuration, counters) into one zip file, atomically; see {@link LocalModelSerializer}.
     */
    public void save(File file) throws IOException {
        requirePlan("save(...)");
        LocalModelSerializer.write(this, file);
    }

    /** Writes the same zip as {@link #save(File)} to a stream (not atomic; the stream is not closed). */
    public void save(OutputStream out) throws IOException {
        requirePlan("save(...)");
        LocalModelSerializer.write(this, out);
    }

    /**
     * Reads a file written by {@link #save(File)}. Listeners are not saved.
     *
     * @throws IllegalArgumentException when the file is not a saved LocalModuleGraph
     */
    public static LocalModuleGraph load(File file) throws IOException {
        return LocalModelSerializer.read(file);
    }

    /**
     * Reads a model written by {@link #save(OutputStream)}; {@code source} names the data in error messages.
     *
     * @throws IllegalArgumentException when the data is not a saved LocalModuleGraph
     */
    public static LocalModuleGraph load(InputStream in, String source) throws IOException {
        return LocalModelSerializer.read(in, source);
    }
}
