package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LocalTrainingConfig;
import dev.infopro.dl4j.config.OnNonFinite;
import dev.infopro.dl4j.planning.ModuleSpec;
import dev.infopro.dl4j.planning.Planner;
import dev.infopro.dl4j.planning.TrainingPlan;
import dev.infopro.dl4j.planning.WeightTransfer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
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
 * <p><b>Training</b> (per mini-batch): module k runs forward on a detached copy of h_{k-1} and back-propagates its
 * loss inside itself and its heads only; updates are kept only once every module's loss and gradient are finite
 * ({@link OnNonFinite}). All modules see activations of the same (pre-step) weights: the reference code's
 * "simultaneous" training (docs/method.md §5). Sequentially, only one module's activations are alive at a time, and
 * freed native memory is handed back to the OS ({@link #setReleaseNativeMemory(boolean)}); pipelined
 * ({@link #setPipelineDepth(int)}), the modules run concurrently with the same result.
 *
 * <p><b>Weight decay</b> is coupled L2 on every trainable parameter, biases and batch-norm gamma/beta included
 * ({@link dev.infopro.dl4j.optim.CoupledWeightDecay}); regularisation configured on the layers still applies.
 *
 * <p><b>Listeners</b>: DL4J {@link TrainingListener}s set with {@link #setListeners} are attached to every module
 * graph, so they are called once per module and iteration with that module as the model;
 * {@link LocalTrainingListener}s are called once per iteration and epoch with this model.
 */
public final class LocalModuleGraph {

    private static final Logger LOG = LoggerFactory.getLogger(LocalModuleGraph.class);

    private TrainingPlan plan;
    private final List<GraphModuleTrainer> trainers;
    private final List<ModuleTrainer> steps;
    private ModuleExecutor executor;
    private final LocalInference inference;
    private final List<LocalTrainingListener> localListeners = new ArrayList<>();
    private int iteration;
    private int epoch;
    private double[] lastScores;
    private double[] lastSeconds;
    private int skippedBatches;

    LocalModuleGraph(TrainingPlan plan, List<ComputationGraph> graphs, int iteration, int epoch) {
        this.plan = plan;
        List<GraphModuleTrainer> ts = new ArrayList<>();
        for (int k = 0; k < graphs.size(); k++) {
            ts.add(new GraphModuleTrainer(plan.getModules().get(k).getSpec(), graphs.get(k),
                    plan.getConfig().getWeightDecay(), plan.getConfig().isReleaseNativeMemory()));
        }
        this.trainers = Collections.unmodifiableList(ts);
        this.steps = Collections.unmodifiableList(new ArrayList<>(ts));
        this.iteration = iteration;
        this.epoch = epoch;
        this.lastScores = new double[ts.size()];
        Arrays.fill(lastScores, Double.NaN);
        this.lastSeconds = lastScores.clone();
        this.inference = new LocalInference(steps, this::isReleaseNativeMemory);
        this.executor = executorFor(plan.getConfig());
        setCounters();
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
     * Starts building from a MultiLayerNetwork: it is converted to a ComputationGraph (vertex names are the layer
     * names, or the layer indices when a layer has no name) with its weights.
     */
    public static LocalModuleGraphBuilder builder(MultiLayerNetwork network) {
        return LocalModuleGraphBuilder.of(network);
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
     * Trains for one pass over {@code data}, module after module or, when the configuration says so, with the modules
     * running concurrently ({@link PipelinedExecutor}; same result).
     */
    public void fit(DataSetIterator data) {
        if (data.resetSupported()) {
            data.reset();
        }
        Iterator<Batch> batches = BatchChecks.batches(plan.getConfig(), numInputs(), data);
        executor.run(steps, batches, plan.getConfig().getNormalization(), epoch, new ModuleExecutor.BatchSink() {
            @Override
            public int iteration() {
                return iteration;
            }

            @Override
            public void accept(StepOutcome outcome) {
                afterStep(outcome);
            }
        });
        endEpoch();
    }

    /** One training step on one mini-batch; returns the module losses. */
    public double[] fit(DataSet batch) {
        return step(BatchChecks.batch(plan.getConfig(), numInputs(), batch));
    }

    /** One training step on one multi-input / multi-output mini-batch; returns the module losses. */
    public double[] fit(MultiDataSet batch) {
        return step(BatchChecks.batch(plan.getConfig(), numInputs(), batch));
    }

    private double[] step(Batch b) {
        return afterStep(executor.step(steps, b.getFeatures(), b.getLabels(), plan.getConfig().getNormalization(),
                iteration, epoch));
    }

    private int numInputs() {
        return plan.getModules().get(0).getSpec().getInputNames().size();
    }

    // The policy, counters and listeners after one batch's step.
    private double[] afterStep(StepOutcome outcome) {
        double[] scores = outcome.getScores();
        if (!outcome.isAccepted()) {
            if (plan.getConfig().getOnNonFinite() == OnNonFinite.STOP) {
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
        lastSeconds = outcome.getModuleSeconds();
        for (LocalTrainingListener l : localListeners) {
            l.onIteration(this, epoch, iteration, scores.clone());
        }
        iteration++;
        setCounters();
        return scores.clone();
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
        return inference.evaluate(data);
    }

    /**
     * The network without heads: exactly the original topology and configuration, with the trained weights
     * (including batch-norm running statistics). The updater state is not carried over.
     */
    public ComputationGraph toComputationGraph() {
        ComputationGraph g = new ComputationGraph(plan.networkConfiguration());
        g.init();
        for (GraphModuleTrainer t : trainers) {
            WeightTransfer.copyMatchingLayers(t.getGraph(), g);
        }
        g.getConfiguration().setIterationCount(iteration);
        g.getConfiguration().setEpochCount(epoch);
        return g;
    }

    // ------------------------------------------------------------------------------------------------ listeners

    /** Replaces the DL4J training listeners (attached to every module graph). */
    public void setListeners(TrainingListener... trainingListeners) {
        for (GraphModuleTrainer t : trainers) {
            t.setListeners(Arrays.asList(trainingListeners));
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

    /** Seconds each module spent on the last mini-batch (step and update; NaN before the first step). */
    public double[] lastModuleSeconds() {
        return lastSeconds.clone();
    }

    /** K, the number of modules. */
    public int numModules() {
        return trainers.size();
    }

    /** The module graphs (backbone segment plus heads), for inspection. Do not train them directly. */
    public List<ComputationGraph> getModules() {
        List<ComputationGraph> graphs = new ArrayList<>();
        for (GraphModuleTrainer t : trainers) {
            graphs.add(t.getGraph());
        }
        return Collections.unmodifiableList(graphs);
    }

    /** What each module contains. */
    public List<ModuleSpec> getModuleSpecs() {
        return plan.moduleSpecs();
    }

    /** The plan this model was built from (with the current configuration). */
    public TrainingPlan getPlan() {
        return plan;
    }

    /** The local training configuration, policies included. */
    public LocalTrainingConfig getConfig() {
        return plan.getConfig();
    }

    /** A copy of the whole network's configuration. */
    public ComputationGraphConfiguration getNetworkConfiguration() {
        return plan.networkConfiguration();
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
        plan = plan.withConfig(plan.getConfig().toBuilder().onNonFinite(policy).build());
    }

    /** The policy for NaN or infinite losses and gradients. */
    public OnNonFinite getOnNonFinite() {
        return plan.getConfig().getOnNonFinite();
    }

    /**
     * Whether freed native memory is handed back to the operating system after each module's step (default true):
     * glibc otherwise keeps each module's freed activations resident, so the process's RSS grows towards that of
     * end-to-end training. See {@link GraphModuleTrainer} for how, and {@link #evaluate}, after which the thread's
     * workspaces are destroyed too. Part of the configuration, so it is saved with the model.
     */
    public void setReleaseNativeMemory(boolean release) {
        plan = plan.withConfig(plan.getConfig().toBuilder().releaseNativeMemory(release).build());
        for (GraphModuleTrainer t : trainers) {
            t.setReleaseNativeMemory(release);
        }
    }

    /**
     * Runs the modules concurrently, each on its own thread with queues of {@code depth} batches between them, or
     * one after another for {@code depth = 0} (the default). The result is the same either way
     * ({@link PipelinedExecutor}); pipelining trades memory (every module's activations alive at once) for speed.
     * Part of the configuration, so it is saved with the model.
     */
    public void setPipelineDepth(int depth) {
        plan = plan.withConfig(plan.getConfig().toBuilder().pipelineDepth(depth).build());
        executor = executorFor(plan.getConfig());
    }

    private static ModuleExecutor executorFor(LocalTrainingConfig config) {
        return config.isPipelined() ? new PipelinedExecutor(config.getPipelineDepth(), 0) : new SequentialExecutor();
    }

    /** See {@link #setReleaseNativeMemory(boolean)}. */
    public boolean isReleaseNativeMemory() {
        return plan.getConfig().isReleaseNativeMemory();
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
        LocalModelSerializer.write(this, file);
    }

    /** Writes the same zip as {@link #save(File)} to a stream (not atomic; the stream is not closed). */
    public void save(OutputStream out) throws IOException {
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
