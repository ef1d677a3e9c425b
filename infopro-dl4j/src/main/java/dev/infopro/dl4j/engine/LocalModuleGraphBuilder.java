package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.data.Normalization;
import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.config.LocalTrainingConfig;
import dev.infopro.dl4j.config.OnNonFinite;
import dev.infopro.dl4j.config.SplitStrategy;
import dev.infopro.dl4j.planning.CutRequest;
import dev.infopro.dl4j.planning.Planner;
import dev.infopro.dl4j.planning.TrainingPlan;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.learning.config.IUpdater;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds a {@link LocalModuleGraph} ({@link LocalModuleGraph#builder}): it collects the settings and hands them to
 * {@link Planner}, where they are checked. {@link LocalModuleGraph}'s class documentation explains each setting.
 */
public final class LocalModuleGraphBuilder {
    private final ComputationGraph source;
    private final String multiLayerOrigin;
    private final LocalTrainingConfig.LocalTrainingConfigBuilder settings = LocalTrainingConfig.builder();
    private List<String> cuts;
    private CutRequest modules;
    private int memoryBatchSize = 128;

    LocalModuleGraphBuilder(ComputationGraph source) {
        this(source, null);
    }

    /** @param multiLayerOrigin the MultiLayerConfiguration JSON when the network came from a MultiLayerNetwork */
    LocalModuleGraphBuilder(ComputationGraph source, String multiLayerOrigin) {
        requireOutputLayers(source);
        this.source = source;
        this.multiLayerOrigin = multiLayerOrigin;
    }

    /**
     * The last module trains with the network's own loss, so every network output must be a layer with one, as
     * DL4J's own {@code fit} requires; checked here so that the user learns it before any planning or training.
     */
    private static void requireOutputLayers(ComputationGraph graph) {
        for (String name : graph.getConfiguration().getNetworkOutputs()) {
            GraphVertex v = graph.getVertex(name);
            if (v.hasLayer() && v.getLayer() instanceof IOutputLayer) {
                continue;
            }
            String what = v.hasLayer() ? "a layer of type " + v.getLayer().conf().getLayer().getClass().getSimpleName()
                    : "a " + v.getClass().getSimpleName();
            throw new IllegalArgumentException("The network's output '" + name + "' is " + what + ", not an output"
                    + " layer: the last module is trained with the network's own loss, so the network must end in a"
                    + " layer with a loss function. End it with an OutputLayer, or add a LossLayer after the last"
                    + " layer, e.g. new LossLayer.Builder(LossFunctions.LossFunction.MCXENT)"
                    + ".activation(Activation.SOFTMAX).build() in place of a softmax activation layer");
        }
    }

    /** Starts building from an initialised or trained graph; its weights are copied into the modules. */
    static LocalModuleGraphBuilder of(ComputationGraph graph) {
        if (graph == null) {
            throw new IllegalArgumentException("graph must not be null");
        }
        if (graph.getLayers() == null) {
            graph.init();
        }
        return new LocalModuleGraphBuilder(graph);
    }

    /** Starts building from a configuration; the network is initialised from it first. */
    static LocalModuleGraphBuilder of(ComputationGraphConfiguration configuration) {
        if (configuration == null) {
            throw new IllegalArgumentException("configuration must not be null");
        }
        ComputationGraph g = new ComputationGraph(configuration.clone());
        g.init();
        return new LocalModuleGraphBuilder(g);
    }

    /** Starts building from a MultiLayerNetwork (see {@link LocalModuleGraph#builder(MultiLayerNetwork)}). */
    static LocalModuleGraphBuilder of(MultiLayerNetwork network) {
        if (network == null) {
            throw new IllegalArgumentException("network must not be null");
        }
        if (network.getLayers() == null || network.params() == null) {
            network.init();
        }
        ComputationGraph graph = network.toComputationGraph();
        keepGlobalSettings(network.getLayerWiseConfigurations(), graph.getConfiguration());
        return new LocalModuleGraphBuilder(graph, network.getLayerWiseConfigurations().toJson());
    }

    /**
     * Copies what DL4J's {@code toComputationGraph} leaves at its defaults: the seed, which the modules' heads are
     * initialised from (without it they got the conversion's clock time, so two runs of the same network and data
     * trained differently), and the workspace and cache modes.
     */
    private static void keepGlobalSettings(MultiLayerConfiguration from, ComputationGraphConfiguration to) {
        to.getDefaultConfiguration().setSeed(from.getConf(0).getSeed());
        to.setTrainingWorkspaceMode(from.getTrainingWorkspaceMode());
        to.setInferenceWorkspaceMode(from.getInferenceWorkspaceMode());
        to.setCacheMode(from.getCacheMode());
    }

    /** Cuts after the named vertices (each must separate the graph). */
    public LocalModuleGraphBuilder cutAfter(String... vertices) {
        this.cuts = new ArrayList<>(Arrays.asList(vertices));
        return this;
    }

    /** Chooses K-1 cuts with {@code strategy} instead of naming them. */
    public LocalModuleGraphBuilder modules(int k, SplitStrategy strategy) {
        this.modules = CutRequest.modules(k, strategy);
        return this;
    }

    /**
     * Mini-batch size for which a memory-aware split strategy ({@link SplitStrategy#BALANCED_MEMORY}) estimates
     * module memory; default 128. Activation memory grows linearly with it, so the choice rarely depends on it.
     */
    public LocalModuleGraphBuilder memoryBatchSize(int batchSize) {
        this.memoryBatchSize = batchSize;
        return this;
    }

    /** The training method and its heads. */
    public LocalModuleGraphBuilder method(LocalLearning method) {
        settings.method(method);
        return this;
    }

    /** Lambdas of the local modules (InfoPro methods). */
    public LocalModuleGraphBuilder lambdas(LambdaSchedule lambdas) {
        settings.lambdas(lambdas);
        return this;
    }

    /** Per-channel normalisation of the input: the reconstruction target is x * std + mean. */
    public LocalModuleGraphBuilder inputNormalization(double[] mean, double[] std) {
        return inputNormalization(Normalization.of(mean, std));
    }

    /** The normalisation the data was prepared with, e.g. a dataset's {@code getNormalization()}. */
    public LocalModuleGraphBuilder inputNormalization(Normalization normalization) {
        settings.normalization(normalization);
        return this;
    }

    /**
     * The network's input types. Optional: without them they are read from the configuration where it determines
     * them (a dense first layer, or a MultiLayerNetwork built with {@code InputType.convolutionalFlat}), and
     * otherwise from the first batch. Given, they win.
     */
    public LocalModuleGraphBuilder inputTypes(InputType... types) {
        settings.inputTypes(types.clone());
        return this;
    }

    /** Number of classes; by default the nOut of the network's first output layer. */
    public LocalModuleGraphBuilder numClasses(int n) {
        settings.numClasses(n);
        return this;
    }

    /** Updater for every layer and head; by default the network's per-layer updaters are kept. */
    public LocalModuleGraphBuilder updater(IUpdater updater) {
        settings.updater(updater);
        return this;
    }

    /** Coupled L2 weight decay on every trainable parameter, including biases and batch-norm gamma/beta. */
    public LocalModuleGraphBuilder weightDecay(double wd) {
        settings.weightDecay(wd);
        return this;
    }

    /** What to do on a NaN or infinite loss or gradient (default STOP); see {@link OnNonFinite}. */
    public LocalModuleGraphBuilder onNonFinite(OnNonFinite policy) {
        settings.onNonFinite(policy);
        return this;
    }

    /**
     * Runs the modules concurrently with queues of {@code depth} batches between them (0, the default: one after
     * another); see {@link LocalModuleGraph#setPipelineDepth(int)}.
     */
    public LocalModuleGraphBuilder pipeline(int depth) {
        settings.pipelineDepth(depth);
        return this;
    }

    /**
     * Whether to hand freed native memory back to the OS after each module (default true); see
     * {@link LocalModuleGraph#setReleaseNativeMemory(boolean)}.
     */
    public LocalModuleGraphBuilder releaseNativeMemory(boolean release) {
        settings.releaseNativeMemory(release);
        return this;
    }

    /**
     * Checks the settings ({@link Planner#check}: cuts, method, lambdas; none of it needs the input types), then
     * plans the split and builds the modules, copying the network's weights into them. When the input types are
     * neither given nor determined by the configuration, planning and building wait for the model's first
     * {@code fit} or {@code output} call, which takes them from that batch (the weights are copied from a copy of
     * the network taken now).
     *
     * @throws IllegalArgumentException for invalid cuts, lambdas or inconsistent settings
     */
    public LocalModuleGraph build() {
        if (cuts != null && modules != null) {
            throw new IllegalArgumentException("Use either cutAfter(...) or modules(K, strategy), not both");
        }
        if (memoryBatchSize < 1) {
            throw new IllegalArgumentException("memoryBatchSize must be >= 1, got " + memoryBatchSize);
        }
        CutRequest request = cuts != null ? CutRequest.after(cuts) : modules != null ? modules : CutRequest.none();
        LocalTrainingConfig config = settings.build();
        Planner.check(source.getConfiguration(), request, config);
        PendingBuild pending = new PendingBuild(source, request, config, memoryBatchSize);
        LocalModuleGraph model;
        if (pending.knownInputTypes() != null) {
            TrainingPlan plan = pending.plan(null);
            model = new LocalModuleGraph(plan, pending.build(plan), 0, 0);
        } else {
            model = new LocalModuleGraph(new PendingBuild(source.clone(), request, config, memoryBatchSize));
        }
        model.setMultiLayerOrigin(multiLayerOrigin);
        return model;
    }
}
