package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LocalTrainingConfig;
import dev.infopro.dl4j.config.OnNonFinite;
import dev.infopro.dl4j.data.IteratorChecks;
import dev.infopro.dl4j.planning.ModuleSpec;
import dev.infopro.dl4j.planning.Planner;
import dev.infopro.dl4j.planning.TrainingPlan;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
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

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A DL4J network cut into K gradient-isolated local modules, each trained by its own loss.
 *
 * <p>Module k (k &lt; K) is its own {@link ComputationGraph}: the backbone vertices between cut k-1 and cut k plus
 * the auxiliary heads reading the cut vertex's output h_k. The last module holds the rest of the network with its
 * original output layer(s) and loss. What the modules are is a {@link TrainingPlan} ({@link Planner}); each module
 * is trained by its {@link ModuleTrainer}, and a {@link ModuleExecutor} runs one step of all of them per
 * mini-batch. This class holds the modules ({@link ModuleSet}), the executor and the counters, and delegates.
 *
 * <p><b>Training</b> (per mini-batch): module k runs forward on a detached copy of h_{k-1} and back-propagates its
 * loss inside itself and its heads only; updates are kept only once every module's loss and gradient are finite
 * ({@link OnNonFinite}). All modules see activations of the same (pre-step) weights: the reference code's
 * "simultaneous" training (docs/method.md §5). Sequentially, only one module's activations are alive at a time, and
 * freed native memory is handed back to the OS ({@link #setReleaseNativeMemory(boolean)}); pipelined
 * ({@link #setPipelineDepth(int)}), the modules run concurrently with the same result.
 *
 * <p><b>Weight decay</b>: coupled L2 on every trainable parameter. <b>Listeners</b>: DL4J {@link TrainingListener}s
 * set with {@link #setListeners} are called once per module and iteration with that module's graph;
 * {@link LocalTrainingListener}s once per iteration and epoch with this model.
 */
public final class LocalModuleGraph implements CheckpointableModel {

    private final ModuleSet modules;
    private final TrainingState state;
    private ModuleExecutor executor;
    private final LocalInference inference;
    /** The MultiLayerNetwork configuration (JSON) the model was converted from, or null for a ComputationGraph. */
    private String multiLayerOrigin;

    LocalModuleGraph(TrainingPlan plan, List<ComputationGraph> graphs, int iteration, int epoch) {
        this(new ModuleSet(plan, graphs), iteration, epoch);
    }

    /** A model planned and built at its first batch (its input types are not known before). */
    LocalModuleGraph(PendingBuild pending) {
        this(new ModuleSet(pending), 0, 0);
    }

    private LocalModuleGraph(ModuleSet modules, int iteration, int epoch) {
        this.modules = modules;
        this.state = new TrainingState(iteration, epoch);
        this.inference = new LocalInference(modules::forBatch, this::isReleaseNativeMemory);
        this.executor = executorFor(modules.config());
        state.setCounters(modules.steps());
    }

    /** Starts building from an initialised or trained graph; its weights are copied into the modules. */
    public static LocalModuleGraphBuilder builder(ComputationGraph graph) {
        return LocalModuleGraphBuilder.of(graph);
    }

    /** Starts building from a configuration; the network is initialised from it first. */
    public static LocalModuleGraphBuilder builder(ComputationGraphConfiguration configuration) {
        return LocalModuleGraphBuilder.of(configuration);
    }

    /**
     * Starts building from a MultiLayerNetwork: it is converted to a ComputationGraph with its weights (DL4J names
     * the vertices by layer index, "0", "1", ..., so cuts are given as {@code cutAfter("3")}), and the model
     * exports back to a MultiLayerNetwork ({@link #toMultiLayerNetwork()}).
     */
    public static LocalModuleGraphBuilder builder(MultiLayerNetwork network) {
        return LocalModuleGraphBuilder.of(network);
    }

    // ------------------------------------------------------------------------------------------------ training

    /**
     * Trains for {@code epochs} passes over {@code data}, reset before each epoch.
     *
     * @throws IllegalArgumentException when {@code epochs > 1} and {@code data} cannot reset, or it gives no batch
     */
    public void fit(DataSetIterator data, int epochs) {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        IteratorChecks.requireResettable(epochs, data.resetSupported());
        for (int e = 0; e < epochs; e++) {
            fit(data);
        }
    }

    /**
     * Trains for one pass over {@code data}, with the modules one after another or pipelined (same result). Without
     * {@code inputNormalization(...)}, the first batch reads the reconstruction target's normalisation from the
     * iterator ({@link ReconstructionTarget#chooseNormalization}) and keeps it in the configuration.
     *
     * @throws IllegalArgumentException when the reconstruction target is not in [0, 1] (see {@link #fit(DataSet)}),
     *                                  or {@code data} gives no batch
     */
    public void fit(DataSetIterator data) {
        state.epoch(this, executor, modules, data);
    }

    /** Trains for {@code epochs} passes over multi-input / multi-output data. */
    public void fit(MultiDataSetIterator data, int epochs) {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        IteratorChecks.requireResettable(epochs, data.resetSupported());
        for (int e = 0; e < epochs; e++) {
            fit(data);
        }
    }

    /**
     * Trains for one pass over multi-input / multi-output data. Its normalisation is not read from a
     * {@code MultiDataSetPreProcessor}: give {@code inputNormalization(...)} when a module reconstructs the input.
     */
    public void fit(MultiDataSetIterator data) {
        IteratorChecks.startTrainingPass(data);
        while (data.hasNext()) {
            fit(data.next());
        }
        state.endEpoch(this, modules.steps());
    }

    /**
     * One training step on one mini-batch; returns the module losses. The first batch plans and builds a model whose
     * input types were not known; without a normalisation, the input itself is the target, checked to be in [0, 1].
     *
     * @throws IllegalArgumentException for a batch that does not fit the network, or a reconstruction target
     *                                  outside [0, 1] (the message says what to pass)
     */
    public double[] fit(DataSet batch) {
        return step(BatchChecks.features(batch), new INDArray[]{batch.getLabels()});
    }

    /** One training step on one multi-input / multi-output mini-batch; returns the module losses. */
    public double[] fit(MultiDataSet batch) {
        if (batch.hasMaskArrays()) {
            throw new IllegalArgumentException("Mask arrays are not supported by local training; use unmasked data");
        }
        return step(batch.getFeatures(), batch.getLabels());
    }

    private double[] step(INDArray[] features, INDArray[] labels) {
        return state.step(this, executor, modules, features, labels);
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
        ComputationGraph g = modules.toComputationGraph();
        g.getConfiguration().setIterationCount(state.iteration());
        g.getConfiguration().setEpochCount(state.epoch());
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

    void setCounters(int iteration, int epoch) { // for ModelVector
        state.setCounters(iteration, epoch, modules.steps());
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
        modules.setListeners(Dl4jListeners.check(trainingListeners));
    }

    /** Adds a listener called with this model after every iteration and epoch. */
    public void addLocalListener(LocalTrainingListener listener) {
        state.listeners().add(listener);
    }

    /** Removes a listener added with {@link #addLocalListener}. */
    public void removeLocalListener(LocalTrainingListener listener) {
        state.listeners().remove(listener);
    }

    /** Removes all local listeners. */
    public void clearLocalListeners() {
        state.listeners().clear();
    }

    // ------------------------------------------------------------------------------------------------ accessors

    /** The loss of each module on the last mini-batch (NaN before the first step). */
    public double[] lastModuleScores() {
        return state.lastScores(numModules());
    }

    /** Seconds each module spent on the last mini-batch (step and update; NaN before the first step). */
    public double[] lastModuleSeconds() {
        return state.lastSeconds(numModules());
    }

    /** K, the number of modules (as requested until a pending model has planned its cuts). */
    public int numModules() {
        return modules.numModules();
    }

    /** The module graphs (backbone segment plus heads), for inspection. Do not train them directly. */
    public List<ComputationGraph> getModules() {
        modules.requirePlan("getModules()");
        List<ComputationGraph> graphs = new ArrayList<>();
        for (GraphModuleTrainer t : modules.trainers()) {
            graphs.add(t.getGraph());
        }
        return Collections.unmodifiableList(graphs);
    }

    /** What each module contains. */
    public List<ModuleSpec> getModuleSpecs() {
        return modules.requirePlan("getModuleSpecs()").moduleSpecs();
    }

    /** The plan this model was built from (with the current configuration). */
    public TrainingPlan getPlan() {
        return modules.requirePlan("getPlan()");
    }

    /**
     * The local training configuration, policies included. Before a pending model's first batch, the settings as
     * given (cuts, input types and defaults not yet resolved).
     */
    public LocalTrainingConfig getConfig() {
        return modules.config();
    }

    /** A copy of the whole network's configuration. */
    public ComputationGraphConfiguration getNetworkConfiguration() {
        return modules.networkConfiguration();
    }

    /** Mini-batches trained so far. */
    @Override
    public int getIterationCount() {
        return state.iteration();
    }

    /** Epochs completed so far. */
    @Override
    public int getEpochCount() {
        return state.epoch();
    }

    /**
     * Sets what happens when a module's loss or gradient is NaN or infinite (default {@link OnNonFinite#STOP}). It is
     * part of the configuration, so it is saved with the model.
     */
    public void setOnNonFinite(OnNonFinite policy) {
        modules.setConfig(getConfig().toBuilder().onNonFinite(policy).build());
    }

    /** The policy for NaN or infinite losses and gradients. */
    public OnNonFinite getOnNonFinite() {
        return getConfig().getOnNonFinite();
    }

    /**
     * Whether freed native memory is handed back to the operating system after each module's step (default true):
     * glibc otherwise keeps each module's freed activations resident, so the process's RSS grows towards that of
     * end-to-end training. See {@link GraphModuleTrainer} for how, and {@link #evaluate}, after which freed memory is
     * handed back too (and the thread's workspaces destroyed if the evaluation enlarged them). Part of the configuration, so it is saved with the model.
     */
    public void setReleaseNativeMemory(boolean release) {
        modules.setConfig(getConfig().toBuilder().releaseNativeMemory(release).build());
    }

    /**
     * Runs the modules concurrently, each on its own thread with queues of {@code depth} batches between them, or
     * one after another for {@code depth = 0} (the default). The result is the same either way
     * ({@link PipelinedExecutor}); pipelining trades memory (every module's activations alive at once) for speed.
     * Part of the configuration, so it is saved with the model.
     */
    public void setPipelineDepth(int depth) {
        modules.setConfig(getConfig().toBuilder().pipelineDepth(depth).build());
        executor = executorFor(getConfig());
    }

    private static ModuleExecutor executorFor(LocalTrainingConfig config) {
        return config.isPipelined() ? new PipelinedExecutor(config.getPipelineDepth(), 0) : new SequentialExecutor();
    }

    /** See {@link #setReleaseNativeMemory(boolean)}. */
    public boolean isReleaseNativeMemory() {
        return getConfig().isReleaseNativeMemory();
    }

    /** Mini-batches skipped by {@link OnNonFinite#SKIP_BATCH} since this object was built or loaded. */
    public int getSkippedBatchCount() {
        return state.skippedBatches();
    }

    // ------------------------------------------------------------------------------------------------ persistence

    /**
     * Writes everything needed to continue training exactly (module graphs with parameters and updater state,
     * configuration, counters) into one zip file, atomically; see {@link LocalModelSerializer}.
     */
    public void save(File file) throws IOException {
        modules.requirePlan("save(...)");
        LocalModelSerializer.write(this, file);
    }

    /** Writes the same zip as {@link #save(File)} to a stream (not atomic; the stream is not closed). */
    @Override
    public void save(OutputStream out) throws IOException {
        modules.requirePlan("save(...)");
        LocalModelSerializer.write(this, out);
    }

    /** Reads a file written by {@link #save(File)} (listeners are not saved); see {@link LocalModelSerializer}. */
    public static LocalModuleGraph load(File file) throws IOException {
        return LocalModelSerializer.read(file);
    }

    /** Reads a model written by {@link #save(OutputStream)}; {@code source} names the data in error messages. */
    public static LocalModuleGraph load(InputStream in, String source) throws IOException {
        return LocalModelSerializer.read(in, source);
    }
}
