package dev.infopro.dl4j.engine;

import org.nd4j.linalg.workspace.ND4JWorkspaceException;

import org.nd4j.linalg.factory.Nd4j;

import org.nd4j.linalg.ops.transforms.Transforms;

import dev.infopro.dl4j.backend.NativeHeap;
import dev.infopro.dl4j.backend.OneDnnHelpers;
import dev.infopro.dl4j.init.TorchBiasInit;

import dev.infopro.dl4j.config.InputNormalization;
import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.config.LocalTrainingConfig;
import dev.infopro.dl4j.config.SplitStrategy;
import dev.infopro.dl4j.heads.AuxiliaryHead;
import dev.infopro.dl4j.heads.HeadContext;
import dev.infopro.dl4j.planning.GraphAnalysis;
import dev.infopro.dl4j.planning.CutPlanner;
import dev.infopro.dl4j.planning.GraphSplitter;
import dev.infopro.dl4j.planning.ModuleSpec;
import dev.infopro.dl4j.planning.WeightTransfer;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A DL4J network cut into K gradient-isolated local modules, each trained by its own loss.
 *
 * <p>Module k (k &lt; K) is its own {@link ComputationGraph}: the backbone vertices between cut k-1 and cut k plus
 * the auxiliary heads reading the cut vertex's output h_k. The last module holds the rest of the network with its
 * original output layer(s) and loss.
 *
 * <p><b>Training</b> (per mini-batch, k = 1..K): module k runs forward on a detached copy of h_{k-1}, back-propagates
 * its loss inside itself and its heads only, and keeps its gradient (updater steps of all modules are applied after
 * the last module, once every loss and gradient is known to be finite, see {@link OnNonFinite}); its activations live in DL4J's workspace,
 * which is closed before module k+1 runs, so peak activation memory is that of the largest module. The copy of h_k
 * handed to module k+1 is taken right after module k's forward pass, i.e. <em>before</em> module k's parameter
 * step: all modules see activations of the same (pre-step) weights, the reference code's "simultaneous" training
 * with one optimizer step per batch (spec 5). As parameter sets are disjoint, stepping module k before module k+1
 * runs is equivalent to one step for all at the end. The native memory each module frees is handed back to the
 * operating system before the next module runs ({@link #setReleaseNativeMemory(boolean)}).
 *
 * <p><b>Weight decay</b> is coupled L2 on every trainable parameter (including biases and batch-norm gamma/beta,
 * which DL4J's own l2 skips): wd * param is added to the mean gradient before the updater. Batch-norm running
 * statistics and frozen parameters are excluded. Regularisation configured on the network's layers still applies.
 *
 * <p><b>Listeners</b>: DL4J {@link TrainingListener}s set with {@link #setListeners} are attached to every module
 * graph, so they are called once per module and iteration with that module as the model.
 */
public final class LocalModuleGraph {

    private static final Logger LOG = LoggerFactory.getLogger(LocalModuleGraph.class);

    /** glibc's initial mmap threshold, used during a module's first step (see computeGradient). */
    private static final int FIRST_STEP_MMAP_THRESHOLD = 128 << 10;
    /** The most glibc's dynamic threshold grows to on 64-bit systems; used after the first step. */
    private static final int STEADY_MMAP_THRESHOLD = 32 << 20;
    private static final String ENTRY_CONFIG = "local-config.json";
    private static final String ENTRY_NETWORK = "network-configuration.json";
    private static final String ENTRY_STATE = "state.json";
    private static final String ENTRY_MODULE = "module-%d.zip";

    private final LocalTrainingConfig config;
    private final ComputationGraphConfiguration networkConf;
    private final List<ModuleSpec> specs;
    private final List<ComputationGraph> modules;
    private final CutCapture[] captures;
    /** Lazily built inference views of modules 1..K-1 (see {@link #inferenceGraph}); not saved. */
    private final ComputationGraph[] inferenceGraphs;
    private final boolean[] noInferenceView;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private final List<LocalTrainingListener> localListeners = new ArrayList<>();
    private int iteration;
    private int epoch;
    private double[] lastScores;
    private OnNonFinite onNonFinite = OnNonFinite.STOP;
    private boolean releaseNativeMemory = true;
    private final boolean[] workspacesSized;
    private int skippedBatches;

    private LocalModuleGraph(LocalTrainingConfig config, ComputationGraphConfiguration networkConf,
                             List<ModuleSpec> specs, List<ComputationGraph> modules, int iteration, int epoch) {
        this.config = config;
        this.networkConf = networkConf;
        this.specs = Collections.unmodifiableList(new ArrayList<>(specs));
        this.modules = Collections.unmodifiableList(new ArrayList<>(modules));
        this.iteration = iteration;
        this.epoch = epoch;
        this.lastScores = new double[modules.size()];
        Arrays.fill(lastScores, Double.NaN);
        this.captures = new CutCapture[modules.size()];
        this.inferenceGraphs = new ComputationGraph[modules.size()];
        this.noInferenceView = new boolean[modules.size()];
        this.workspacesSized = new boolean[modules.size()];
        for (int k = 0; k < modules.size(); k++) {
            captures[k] = new CutCapture(specs.get(k).getCutVertex());
            modules.get(k).getConfiguration().setIterationCount(iteration);
            modules.get(k).getConfiguration().setEpochCount(epoch);
        }
        attachListeners();
    }

    /** Starts building from an initialised or trained graph; its weights are copied into the modules. */
    public static Builder builder(ComputationGraph graph) {
        if (graph == null) {
            throw new IllegalArgumentException("graph must not be null");
        }
        if (graph.getLayers() == null) {
            graph.init();
        }
        return new Builder(graph);
    }

    /** Starts building from a configuration; the network is initialised from it first. */
    public static Builder builder(ComputationGraphConfiguration configuration) {
        if (configuration == null) {
            throw new IllegalArgumentException("configuration must not be null");
        }
        ComputationGraph g = new ComputationGraph(configuration.clone());
        g.init();
        return new Builder(g);
    }

    /**
     * Starts building from a MultiLayerNetwork: it is converted to a ComputationGraph (vertex names are the layer
     * names, or the layer indices when a layer has no name) with its weights.
     */
    public static Builder builder(MultiLayerNetwork network) {
        if (network == null) {
            throw new IllegalArgumentException("network must not be null");
        }
        if (network.getLayers() == null || network.params() == null) {
            network.init();
        }
        return new Builder(network.toComputationGraph());
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

    /** Trains for one pass over {@code data}. */
    public void fit(DataSetIterator data) {
        if (data.resetSupported()) {
            data.reset();
        }
        while (data.hasNext()) {
            fit(data.next());
        }
        endEpoch();
    }

    /** One training step on one mini-batch; returns the module losses. */
    public double[] fit(DataSet batch) {
        if (batch.getFeaturesMaskArray() != null || batch.getLabelsMaskArray() != null) {
            throw new IllegalArgumentException("Mask arrays are not supported by local training; use unmasked data");
        }
        return fit(new INDArray[]{batch.getFeatures()}, new INDArray[]{batch.getLabels()});
    }

    /** One training step on one multi-input / multi-output mini-batch; returns the module losses. */
    public double[] fit(MultiDataSet batch) {
        if (batch.hasMaskArrays()) {
            throw new IllegalArgumentException("Mask arrays are not supported by local training; use unmasked data");
        }
        return fit(batch.getFeatures(), batch.getLabels());
    }

    private double[] fit(INDArray[] features, INDArray[] labels) {
        List<INDArray> transients = new ArrayList<>();
        try {
            return fitBatch(features, labels, transients);
        } finally {
            // The detached h_k copies and the reconstruction target live outside workspaces; free them now rather
            // than when the garbage collector gets to them, so off-heap memory does not pile up between GCs.
            for (INDArray a : transients) {
                if (a.closeable()) {
                    a.close();
                }
            }
        }
    }

    private double[] fitBatch(INDArray[] features, INDArray[] labels, List<INDArray> transients) {
        if (features.length != networkConf.getNetworkInputs().size()) {
            throw new IllegalArgumentException("The network has " + networkConf.getNetworkInputs().size()
                    + " inputs but the batch has " + features.length + " feature arrays");
        }
        checkBatch(features, labels);
        int batchSize = (int) features[0].size(0);
        INDArray x01 = null;
        double[] scores = new double[modules.size()];
        INDArray[] in = features;
        for (int k = 0; k < modules.size(); k++) {
            ModuleSpec spec = specs.get(k);
            ComputationGraph m = modules.get(k);
            INDArray[] moduleLabels;
            if (spec.isLast()) {
                moduleLabels = labels;
            } else {
                moduleLabels = new INDArray[spec.getOutputTargets().size()];
                for (int o = 0; o < moduleLabels.length; o++) {
                    if (spec.getOutputTargets().get(o) == AuxiliaryHead.Target.INPUT_IMAGE) {
                        if (x01 == null) {
                            x01 = config.getNormalization().denormalize(features[0]);
                            transients.add(x01);
                        }
                        moduleLabels[o] = x01;
                    } else {
                        moduleLabels[o] = labels[0];
                    }
                }
            }
            try {
                scores[k] = computeGradient(k, m, in, moduleLabels);
            } catch (OutOfMemoryError | RuntimeException e) {
                if (ModuleOutOfMemoryException.isOutOfMemory(e)) {
                    throw new ModuleOutOfMemoryException(k, modules.size(), batchSize, e);
                }
                throw e;
            }
            String bad = nonFinite(scores[k], m);
            if (bad != null) {
                return rejectBatch(k, bad, scores);
            }
            if (!spec.isLast()) {
                INDArray h = captures[k].take();
                transients.add(h);
                in = new INDArray[]{h};
            }
        }
        // Updates are applied only once every module's loss and gradient are known to be finite, so a bad batch
        // changes no module. Deferring is exact: the modules' parameters are disjoint and module k+1's input was
        // taken before module k's step anyway.
        for (int k = 0; k < modules.size(); k++) {
            applyUpdate(modules.get(k), batchSize);
        }
        lastScores = scores;
        for (LocalTrainingListener l : localListeners) {
            l.onIteration(epoch, iteration, scores.clone());
        }
        iteration++;
        for (ComputationGraph m : modules) {
            m.getConfiguration().setIterationCount(iteration);
        }
        return scores.clone();
    }

    private double[] rejectBatch(int k, String what, double[] scores) {
        for (int j = k + 1; j < scores.length; j++) {
            scores[j] = Double.NaN;
        }
        for (CutCapture c : captures) {
            c.arm();
        }
        if (onNonFinite == OnNonFinite.STOP) {
            throw new TrainingDivergedException(k, epoch, iteration, what);
        }
        skippedBatches++;
        LOG.warn("Skipping a batch at epoch {}, iteration {}: module {} has {}; no module was updated ({} batches"
                + " skipped so far)", epoch, iteration, k, what, skippedBatches);
        return scores.clone();
    }

    // Null when the loss and every gradient entry of the module are finite, else a description.
    private static String nonFinite(double score, ComputationGraph m) {
        if (!Double.isFinite(score)) {
            return "loss = " + score;
        }
        INDArray g = m.getGradientsViewArray();
        if (g != null && BooleanIndexing.or(g, Conditions.notFinite())) {
            return "a NaN or infinite gradient (loss = " + score + ")";
        }
        return null;
    }

    // First half of DL4J's StochasticGradientDescent.optimize for one module graph: loss and gradient only.
    private double computeGradient(int k, ComputationGraph m, INDArray[] in, INDArray[] labels) {
        m.getConfiguration().setIterationCount(iteration);
        m.getConfiguration().setEpochCount(epoch);
        m.setInputs(in);
        m.setLabels(labels);
        captures[k].arm();
        // A module's first step sizes DL4J's workspaces: until then every activation is a separate malloc of a
        // different size, which fragments glibc's arenas (measured: 2-3x the live memory on ResNet-110). Mapping
        // large blocks on their own during that step releases them exactly; afterwards the arenas serve them again,
        // as glibc's own dynamic threshold would, so steady steps pay no extra page faults.
        boolean firstStep = releaseNativeMemory && !workspacesSized[k];
        if (firstStep) {
            NativeHeap.setMmapThreshold(FIRST_STEP_MMAP_THRESHOLD);
        }
        try {
            m.computeGradientAndScore();
        } finally {
            if (firstStep) {
                NativeHeap.setMmapThreshold(STEADY_MMAP_THRESHOLD);
                workspacesSized[k] = true;
            }
        }
        for (TrainingListener tl : listeners) {
            tl.onGradientCalculation(m);
        }
        double score = m.score();
        // The gradient lives in the module's persistent gradient view, so activations can be released now.
        m.clearLayersStates();
        m.clear();
        if (releaseNativeMemory) {
            // The module's workspace spills and libnd4j/oneDNN temporaries were freed into glibc's arenas, which keep
            // them resident; hand those pages back so the next module starts from what is really in use.
            NativeHeap.trim();
        }
        return score;
    }

    // Second half: weight decay, updater, parameter step, constraints.
    /**
     * Rejects a batch that does not fit the network, with a message that says what differs: the data's channel
     * count or image size against the input type, the label width against the number of classes, labels that are
     * not one row per example, or class labels that are not one-hot (e.g. a class index beyond the last class).
     */
    private void checkBatch(INDArray[] features, INDArray[] labels) {
        InputType[] types = config.getInputTypes();
        for (int i = 0; i < features.length && i < types.length; i++) {
            if (types[i] instanceof InputType.InputTypeConvolutional) {
                InputType.InputTypeConvolutional t = (InputType.InputTypeConvolutional) types[i];
                long[] s = features[i].shape();
                if (s.length != 4 || s[1] != t.getChannels() || s[2] != t.getHeight() || s[3] != t.getWidth()) {
                    throw new IllegalArgumentException("The data does not match the network's input: expected "
                            + "[batch, " + t.getChannels() + ", " + t.getHeight() + ", " + t.getWidth() + "] (NCHW) but"
                            + " got " + java.util.Arrays.toString(s) + ". Check the dataset's channel count and image"
                            + " size against the network (e.g. grayscale data on an RGB network)");
                }
            }
        }
        long n = features[0].size(0);
        INDArray y = labels[0];
        if (y.rank() != 2 || y.size(0) != n) {
            throw new IllegalArgumentException("Labels must be one row per example, [" + n + ", numClasses], got "
                    + java.util.Arrays.toString(y.shape()));
        }
        if (y.size(1) != config.getNumClasses()) {
            throw new IllegalArgumentException("The data has " + y.size(1) + " classes but the network has "
                    + config.getNumClasses() + ": use a network whose output layer has nOut = " + y.size(1)
                    + ", or data with " + config.getNumClasses() + " classes");
        }
        INDArray rowSums = y.sum(1);
        double worst = Transforms.abs(rowSums.sub(1.0)).maxNumber().doubleValue();
        if (worst > 1e-3 || y.minNumber().doubleValue() < 0) {
            throw new IllegalArgumentException("Labels must be one-hot (or class probabilities) over "
                    + config.getNumClasses() + " classes; a row sums to " + (1 + worst) + " or has negative entries."
                    + " A class index outside [0, " + (config.getNumClasses() - 1) + "] gives an all-zero row");
        }
    }

    private void applyUpdate(ComputationGraph m, int batchSize) {
        Gradient g = m.gradient();
        addWeightDecay(m, g, batchSize);
        m.getUpdater().update(g, iteration, epoch, batchSize, LayerWorkspaceMgr.noWorkspaces());
        m.params().subi(g.gradient());
        for (TrainingListener tl : listeners) {
            tl.iterationDone(m, iteration, epoch);
        }
        m.applyConstraints(iteration, epoch);
    }

    // DL4J divides the summed gradient by the batch size inside the updater (when miniBatch is on), so the decay
    // term is scaled by the batch size here to reach the mean gradient as wd * param.
    private void addWeightDecay(ComputationGraph m, Gradient g, int batchSize) {
        double wd = config.getWeightDecay();
        if (wd == 0.0) {
            return;
        }
        double scale = m.getConfiguration().getDefaultConfiguration().isMiniBatch() ? batchSize : 1.0;
        Map<String, INDArray> grads = g.gradientForVariable();
        for (Layer l : m.getLayers()) {
            String name = l.conf().getLayer().getLayerName();
            for (Map.Entry<String, INDArray> p : l.paramTable().entrySet()) {
                String key = p.getKey();
                if (!l.updaterDivideByMinibatch(key) || l.conf().getLayer().getUpdaterByParam(key) instanceof NoOp) {
                    continue; // batch-norm running statistics, frozen parameters
                }
                INDArray gv = grads.get(name + "_" + key);
                if (gv != null) {
                    Nd4j.getBlasWrapper().level1().axpy(gv.length(), wd * scale, p.getValue(), gv); // in place
                }
            }
        }
    }

    private void endEpoch() {
        for (ComputationGraph m : modules) {
            for (TrainingListener tl : listeners) {
                tl.onEpochEnd(m);
            }
        }
        for (LocalTrainingListener l : localListeners) {
            l.onEpochEnd(epoch, lastScores.clone());
        }
        epoch++;
        for (ComputationGraph m : modules) {
            m.getConfiguration().setEpochCount(epoch);
        }
    }

    // ------------------------------------------------------------------------------------------------ inference

    /**
     * Inference with the backbone only (no heads), in test mode.
     *
     * @return the network outputs, as the original graph's {@code output(false, inputs)} would return them
     */
    public INDArray[] output(INDArray... inputs) {
        INDArray[] in = inputs;
        for (int k = 0; k < modules.size() - 1; k++) {
            INDArray h = backboneOutput(k, in);
            if (k > 0) {
                release(in[0], h);
            }
            in = new INDArray[]{h};
        }
        INDArray[] out = modules.get(modules.size() - 1).output(false, in);
        if (modules.size() > 1) {
            release(in[0], out[0]);
        }
        return out;
    }

    /** h_k for inference: through the module's inference view, or feedForward where DL4J cannot use the view. */
    private INDArray backboneOutput(int k, INDArray[] in) {
        if (!noInferenceView[k]) {
            try {
                return inferenceGraph(k).output(false, in)[0];
            } catch (ND4JWorkspaceException e) {
                // M2.1 rejects some graphs whose output is not an output layer (seen with a layer right after the
                // input); such modules use feedForward, which copies every activation, from now on
                LOG.debug("Module {} falls back to feedForward for inference: {}", k, e.getMessage());
                destroyWorkspaces();
                noInferenceView[k] = true;
            }
        }
        ComputationGraph m = modules.get(k);
        String cut = specs.get(k).getCutVertex();
        Map<String, INDArray> acts = m.feedForward(in, m.getVertex(cut).getVertexIndex(), false, true);
        return acts.get(cut).detach();
    }

    /**
     * Module k's backbone for inference: the module's configuration with the cut vertex as its only output, sharing
     * the module's parameter array (so it always has the trained weights). Its {@code output} stops at the cut, runs
     * in DL4J's inference workspaces and returns h_k alone. {@code feedForward} would instead copy every activation
     * out of the workspaces, about 130 MB per batch of 128 on a ResNet-20 stage, which piles up as off-heap
     * garbage (measured: 9.6 GB RSS evaluating 10,000 images).
     */
    private ComputationGraph inferenceGraph(int k) {
        if (inferenceGraphs[k] == null) {
            ComputationGraph m = modules.get(k);
            ComputationGraphConfiguration c = m.getConfiguration().clone();
            c.setNetworkOutputs(new ArrayList<>(List.of(specs.get(k).getCutVertex())));
            ComputationGraph g = new ComputationGraph(c);
            g.init(m.params(), false);
            inferenceGraphs[k] = OneDnnHelpers.patch(g);
        }
        return inferenceGraphs[k];
    }

    /** Frees {@code a} now unless it is {@code keep} or cannot be closed (a view, or workspace memory). */
    private static void release(INDArray a, INDArray keep) {
        if (a != null && a != keep && !a.wasClosed() && a.closeable()) {
            a.close();
        }
    }

    /** Classification accuracy etc. of the first network output on {@code data}. */
    public Evaluation evaluate(DataSetIterator data) {
        if (data.resetSupported()) {
            data.reset();
        }
        Evaluation e = new Evaluation();
        try {
            while (data.hasNext()) {
                DataSet ds = data.next();
                INDArray out = output(ds.getFeatures())[0];
                e.eval(ds.getLabels(), out);
                release(out, null);
            }
        } finally {
            if (releaseNativeMemory) {
                destroyWorkspaces();
            }
        }
        return e;
    }

    // DL4J keeps every workspace of this thread allocated at its largest size, so after an evaluation the inference
    // workspaces of all K module views would stay resident beside the training ones. Destroys them all (training's
    // too), so the next training step sizes its workspaces again, with the same first-step care as at the start.
    private void destroyWorkspaces() {
        Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
        Arrays.fill(workspacesSized, false);
        if (releaseNativeMemory) {
            NativeHeap.trim();
        }
    }

    /**
     * The network without heads: exactly the original topology and configuration, with the trained weights
     * (including batch-norm running statistics). The updater state is not carried over.
     */
    public ComputationGraph toComputationGraph() {
        ComputationGraph g = new ComputationGraph(networkConf.clone());
        g.init();
        for (ComputationGraph m : modules) {
            WeightTransfer.copyMatchingLayers(m, g);
        }
        g.getConfiguration().setIterationCount(iteration);
        g.getConfiguration().setEpochCount(epoch);
        return g;
    }

    // ------------------------------------------------------------------------------------------------ listeners

    /** Replaces the DL4J training listeners (attached to every module graph). */
    public void setListeners(TrainingListener... trainingListeners) {
        listeners.clear();
        listeners.addAll(Arrays.asList(trainingListeners));
        attachListeners();
    }

    /** Adds a progress listener. */
    public void addLocalListener(LocalTrainingListener listener) {
        localListeners.add(listener);
    }

    /** Removes all progress listeners. */
    public void clearLocalListeners() {
        localListeners.clear();
    }

    private void attachListeners() {
        for (int k = 0; k < modules.size(); k++) {
            List<TrainingListener> all = new ArrayList<>();
            all.add(captures[k]);
            all.addAll(listeners);
            // computeGradientAndScore calls onForwardPass / onBackwardPass; step() calls the rest, like DL4J's SGD
            modules.get(k).setListeners(all);
        }
    }

    // ------------------------------------------------------------------------------------------------ accessors

    /** The loss of each module on the last mini-batch (NaN before the first step). */
    public double[] lastModuleScores() {
        return lastScores.clone();
    }

    /** K, the number of modules. */
    public int numModules() {
        return modules.size();
    }

    /** The module graphs (backbone segment plus heads), for inspection. Do not train them directly. */
    public List<ComputationGraph> getModules() {
        return modules;
    }

    /** What each module contains. */
    public List<ModuleSpec> getModuleSpecs() {
        return specs;
    }

    /** The local training configuration. */
    public LocalTrainingConfig getConfig() {
        return config;
    }

    /** A copy of the whole network's configuration. */
    public ComputationGraphConfiguration getNetworkConfiguration() {
        return networkConf.clone();
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
     * Sets what happens when a module's loss or gradient is NaN or infinite (default {@link OnNonFinite#STOP}).
     * Not saved with the model: set it again after {@link #load}.
     */
    public void setOnNonFinite(OnNonFinite policy) {
        if (policy == null) {
            throw new IllegalArgumentException("policy must not be null: use OnNonFinite.STOP or SKIP_BATCH");
        }
        this.onNonFinite = policy;
    }

    /** The policy for NaN or infinite losses and gradients. */
    public OnNonFinite getOnNonFinite() {
        return onNonFinite;
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
     * per module on ResNet-110). No effect where glibc is not available ({@link NativeHeap#isAvailable()}). Not
     * saved with the model.
     */
    public void setReleaseNativeMemory(boolean release) {
        this.releaseNativeMemory = release;
    }

    /** See {@link #setReleaseNativeMemory(boolean)}. */
    public boolean isReleaseNativeMemory() {
        return releaseNativeMemory;
    }

    /** Mini-batches skipped by {@link OnNonFinite#SKIP_BATCH} since this object was built or loaded. */
    public int getSkippedBatchCount() {
        return skippedBatches;
    }

    // ------------------------------------------------------------------------------------------------ persistence

    /**
     * Writes everything needed to continue training exactly (module graphs with parameters and updater state,
     * configurations, counters) into one zip file, atomically: a temporary file in the same directory is written and
     * then moved over {@code file}.
     */
    public void save(File file) throws IOException {
        Path target = file.toPath().toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
        try {
            try (OutputStream os = Files.newOutputStream(tmp)) {
                save(os);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Writes the same zip as {@link #save(File)} to a stream (not atomic; the stream is not closed). Used to embed a
     * model in a larger file such as a checkpoint.
     */
    public void save(OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        putEntry(zip, ENTRY_CONFIG, config.toJson().getBytes(StandardCharsets.UTF_8));
        putEntry(zip, ENTRY_NETWORK, networkConf.toJson().getBytes(StandardCharsets.UTF_8));
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("iteration", iteration);
        state.put("epoch", epoch);
        state.put("modules", specs);
        putEntry(zip, ENTRY_STATE, LocalTrainingConfig.mapper().writeValueAsBytes(state));
        for (int k = 0; k < modules.size(); k++) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ModelSerializer.writeModel(modules.get(k), bytes, true);
            putEntry(zip, String.format(ENTRY_MODULE, k), bytes.toByteArray());
        }
        zip.finish();
        zip.flush();
    }

    private static void putEntry(ZipOutputStream zip, String name, byte[] data) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(data);
        zip.closeEntry();
    }

    /**
     * Reads a file written by {@link #save(File)}. Listeners are not saved.
     *
     * @throws IllegalArgumentException when the file is not a saved LocalModuleGraph
     */
    public static LocalModuleGraph load(File file) throws IOException {
        try (InputStream is = Files.newInputStream(file.toPath())) {
            return load(is, file.toString());
        }
    }

    /**
     * Reads a model written by {@link #save(OutputStream)}; {@code source} names the data in error messages.
     *
     * @throws IllegalArgumentException when the data is not a saved LocalModuleGraph
     */
    public static LocalModuleGraph load(InputStream in, String source) throws IOException {
        Map<String, byte[]> entries = new HashMap<>();
        ZipInputStream zip = new ZipInputStream(in);
        ZipEntry e;
        while ((e = zip.getNextEntry()) != null) {
            entries.put(e.getName(), zip.readAllBytes());
        }
        for (String required : new String[]{ENTRY_CONFIG, ENTRY_NETWORK, ENTRY_STATE}) {
            if (!entries.containsKey(required)) {
                throw new IllegalArgumentException(source + " is not a saved LocalModuleGraph: entry '" + required
                        + "' is missing");
            }
        }
        LocalTrainingConfig config = LocalTrainingConfig.fromJson(new String(entries.get(ENTRY_CONFIG), StandardCharsets.UTF_8));
        ComputationGraphConfiguration networkConf = ComputationGraphConfiguration.fromJson(
                new String(entries.get(ENTRY_NETWORK), StandardCharsets.UTF_8));
        SavedState state = LocalTrainingConfig.mapper().readValue(entries.get(ENTRY_STATE), SavedState.class);
        List<ComputationGraph> modules = new ArrayList<>();
        for (int k = 0; k < state.modules.size(); k++) {
            byte[] bytes = entries.get(String.format(ENTRY_MODULE, k));
            if (bytes == null) {
                throw new IllegalArgumentException(source + " is incomplete: module " + k + " is missing");
            }
            modules.add(OneDnnHelpers.patch(ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(bytes), true)));
        }
        return new LocalModuleGraph(config, networkConf, state.modules, modules, state.iteration, state.epoch);
    }

    /** JSON form of the counters and module specifications. */
    private static final class SavedState {
        int iteration;
        int epoch;
        List<ModuleSpec> modules;
    }

    // ------------------------------------------------------------------------------------------------ internals

    /**
     * Copies the cut vertex's activation out of the workspace during computeGradientAndScore's forward pass:
     * DL4J calls onForwardPass inside scopeOutOfWorkspaces, so dup() yields an array detached from the module.
     */
    private static final class CutCapture extends BaseTrainingListener {
        private final String vertex;
        private INDArray captured;

        CutCapture(String vertex) {
            this.vertex = vertex;
        }

        void arm() {
            captured = null;
        }

        INDArray take() {
            if (captured == null) {
                throw new IllegalStateException("The activation of cut vertex '" + vertex + "' was not captured");
            }
            INDArray h = captured;
            captured = null;
            return h;
        }

        @Override
        public void onForwardPass(Model model, Map<String, INDArray> activations) {
            if (vertex == null) {
                return;
            }
            INDArray a = activations.get(vertex);
            if (a == null) {
                throw new IllegalStateException("Forward pass did not report cut vertex '" + vertex + "'; reported: "
                        + activations.keySet());
            }
            captured = a.dup();
        }
    }

    /** Builder; see the class documentation for the meaning of each setting. */
    public static final class Builder {
        private final ComputationGraph source;
        private List<String> cuts;
        private Integer numModules;
        private SplitStrategy strategy;
        private LocalLearning method;
        private LambdaSchedule lambdas;
        private InputNormalization normalization;
        private InputType[] inputTypes;
        private Integer numClasses;
        private IUpdater updater;
        private double weightDecay;
        private OnNonFinite onNonFinite = OnNonFinite.STOP;
        private boolean releaseNativeMemory = true;
        private int memoryBatchSize = 128;

        private Builder(ComputationGraph source) {
            this.source = source;
        }

        /** Cuts after the named vertices (each must separate the graph). */
        public Builder cutAfter(String... vertices) {
            this.cuts = new ArrayList<>(Arrays.asList(vertices));
            return this;
        }

        /** Chooses K-1 cuts with {@code strategy} instead of naming them. */
        public Builder modules(int k, SplitStrategy strategy) {
            if (k < 1) {
                throw new IllegalArgumentException("Number of modules must be >= 1, got " + k);
            }
            this.numModules = k;
            this.strategy = strategy;
            return this;
        }

        /**
         * Mini-batch size for which a memory-aware split strategy ({@link SplitStrategy#BALANCED_MEMORY}) estimates
         * module memory; default 128. Activation memory grows linearly with it, so the choice rarely depends on it.
         */
        public Builder memoryBatchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("memoryBatchSize must be >= 1, got " + batchSize);
            }
            this.memoryBatchSize = batchSize;
            return this;
        }

        /** The training method and its heads. */
        public Builder method(LocalLearning method) {
            this.method = method;
            return this;
        }

        /** Lambdas of the local modules (InfoPro methods). */
        public Builder lambdas(LambdaSchedule lambdas) {
            this.lambdas = lambdas;
            return this;
        }

        /** Per-channel normalisation of the input: the reconstruction target is x * std + mean. */
        public Builder inputNormalization(double[] mean, double[] std) {
            this.normalization = InputNormalization.of(mean, std);
            return this;
        }

        /** The network's input types (required: DL4J configurations do not store them). */
        public Builder inputTypes(InputType... types) {
            this.inputTypes = types.clone();
            return this;
        }

        /** Number of classes; by default the nOut of the network's first output layer. */
        public Builder numClasses(int n) {
            this.numClasses = n;
            return this;
        }

        /** Updater for every layer and head; by default the network's per-layer updaters are kept. */
        public Builder updater(IUpdater updater) {
            this.updater = updater;
            return this;
        }

        /** Coupled L2 weight decay on every trainable parameter, including biases and batch-norm gamma/beta. */
        public Builder weightDecay(double wd) {
            if (!(wd >= 0) || Double.isInfinite(wd)) {
                throw new IllegalArgumentException("weightDecay must be finite and >= 0, got " + wd);
            }
            this.weightDecay = wd;
            return this;
        }

        /** What to do on a NaN or infinite loss or gradient (default STOP); see {@link OnNonFinite}. */
        public Builder onNonFinite(OnNonFinite policy) {
            if (policy == null) {
                throw new IllegalArgumentException("onNonFinite must not be null: use OnNonFinite.STOP or SKIP_BATCH");
            }
            this.onNonFinite = policy;
            return this;
        }

        /**
         * Whether to hand freed native memory back to the OS after each module (default true); see
         * {@link LocalModuleGraph#setReleaseNativeMemory(boolean)}.
         */
        public Builder releaseNativeMemory(boolean release) {
            this.releaseNativeMemory = release;
            return this;
        }

        /**
         * Splits the network and copies its weights into the modules.
         *
         * @throws IllegalArgumentException for invalid cuts, missing input types or lambdas, or inconsistent settings
         */
        public LocalModuleGraph build() {
            ComputationGraphConfiguration conf = source.getConfiguration().clone();
            if (inputTypes == null) {
                throw new IllegalArgumentException("inputTypes(...) is required: DL4J configurations do not store"
                        + " input types, e.g. inputTypes(InputType.convolutional(32, 32, 3))");
            }
            GraphAnalysis analysis = new GraphAnalysis(conf);
            if (cuts != null && numModules != null) {
                throw new IllegalArgumentException("Use either cutAfter(...) or modules(K, strategy), not both");
            }
            List<String> resolved;
            if (cuts != null) {
                resolved = analysis.sortAndCheckCuts(cuts);
            } else if (numModules != null && numModules > 1) {
                if (strategy == null) {
                    throw new IllegalArgumentException("modules(K, strategy) needs a strategy, e.g."
                            + " SplitStrategy.EQUAL_DEPTH");
                }
                resolved = CutPlanner.chooseCuts(conf, inputTypes, analysis, numModules, strategy, method,
                        CutPlanner.headContext(inputTypes, classes(conf)), memoryBatchSize);
            } else {
                resolved = Collections.emptyList();
            }
            LocalLearning m = method != null ? method : resolved.isEmpty() ? LocalLearning.endToEnd() : null;
            if (m == null) {
                throw new IllegalArgumentException("The network is cut into " + (resolved.size() + 1) + " modules:"
                        + " choose a method, e.g. method(LocalLearning.infoProContrast(decoder, projection))");
            }
            if (m.getKind() == LocalLearning.Kind.END_TO_END && !resolved.isEmpty()) {
                throw new IllegalArgumentException("endToEnd() trains one module; remove cutAfter/modules (cuts "
                        + resolved + ")");
            }
            if (m.getKind() != LocalLearning.Kind.END_TO_END && resolved.isEmpty()) {
                throw new IllegalArgumentException(m.getKind() + " needs at least one cut: use cutAfter(...) or"
                        + " modules(K >= 2, strategy). Valid cut vertices: " + analysis.validCuts());
            }
            if (!m.usesLambdas() && lambdas != null) {
                throw new IllegalArgumentException(m.getKind() + " does not use lambdas; remove lambdas(...)");
            }
            int numLocal = resolved.size();
            List<List<GraphSplitter.HeadAttachment>> heads = new ArrayList<>();
            for (int i = 0; i < numLocal; i++) {
                double[] l = m.lambdas(lambdas, i, numLocal);
                List<GraphSplitter.HeadAttachment> h = new ArrayList<>();
                if (m.usesLambdas()) {
                    h.add(new GraphSplitter.HeadAttachment(m.getReconstructionHead(), l[0]));
                }
                h.add(new GraphSplitter.HeadAttachment(m.getLabelHead(), l[1]));
                heads.add(h);
            }
            int classes = classes(conf);
            HeadContext context = CutPlanner.headContext(inputTypes, classes);
            InputNormalization norm = normalization != null ? normalization
                    : InputNormalization.identity((int) context.getImageChannels());
            LocalTrainingConfig config = LocalTrainingConfig.builder().cuts(resolved).method(m).lambdas(lambdas)
                    .normalization(norm).updater(updater).weightDecay(weightDecay).inputTypes(inputTypes.clone())
                    .numClasses(classes).build();
            List<GraphSplitter.ModuleConfiguration> parts = GraphSplitter.split(conf, inputTypes, resolved, heads,
                    context, updater);
            List<ModuleSpec> specs = new ArrayList<>();
            List<ComputationGraph> graphs = new ArrayList<>();
            for (GraphSplitter.ModuleConfiguration p : parts) {
                ComputationGraph g = new ComputationGraph(p.getConfiguration());
                g.init();
                WeightTransfer.copyMatchingLayers(source, g);
                if (!p.getHeadBiasLayers().isEmpty()) {
                    TorchBiasInit.apply(g, p.getHeadBiasLayers()); // the reference's bias init for the heads
                }
                OneDnnHelpers.patch(g);
                specs.add(p.getSpec());
                graphs.add(g);
            }
            LocalModuleGraph built = new LocalModuleGraph(config, conf, specs, graphs, 0, 0);
            built.setOnNonFinite(onNonFinite);
            built.setReleaseNativeMemory(releaseNativeMemory);
            return built;
        }

        private int classes(ComputationGraphConfiguration conf) {
            return numClasses != null ? numClasses : CutPlanner.inferNumClasses(conf);
        }
    }
}
