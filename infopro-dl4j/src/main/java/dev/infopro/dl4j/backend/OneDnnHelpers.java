package dev.infopro.dl4j.backend;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.LayerHelper;
import org.deeplearning4j.nn.layers.convolution.ConvolutionHelper;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.layers.normalization.BatchNormalizationHelper;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Method;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Switches on DL4J's oneDNN layer helpers (convolution, batch normalisation, pooling, ...) for the CPU backend.
 *
 * <p>Stock DL4J 1.0.0-M2.1 never uses them: {@code HelperUtils} reads the system property
 * {@value #DL4J_DISABLE_PROPERTY} with default {@code true}, and the helpers' availability check looks up a class
 * that was renamed (see {@link org.nd4j.nativeblas.Nd4jCpu}). Without them {@code ConvolutionLayer} runs a Java
 * im2col path about ten times slower. {@link #configure()} runs automatically when ND4J initialises (through
 * {@link OneDnnHelperActivation}, an ND4J {@code EnvironmentalAction} service), before any network exists.
 *
 * <p>Opt out with {@code -Dinfopro.onednn=false} or the environment variable {@code INFOPRO_ONEDNN=false}.
 * A value that the user set for {@value #DL4J_DISABLE_PROPERTY} is never overridden.
 */
public final class OneDnnHelpers {
    /** DL4J's own switch; {@code true} (its default) disables every layer helper. */
    public static final String DL4J_DISABLE_PROPERTY = "org.eclipse.deeplearning4j.helpers.disable";
    /** Our opt-out property: {@code false} leaves DL4J's default (helpers off) alone. */
    public static final String OPT_OUT_PROPERTY = "infopro.onednn";
    /**
     * {@code false} leaves batch normalisation to DL4J's helper or its own code instead of
     * {@link FusedBatchNormHelper}; read when a graph is patched. On by default: it made CIFAR ResNet steps 3-15%
     * faster, and 18% more on ResNet-20 once its kernels worked in float (docs/benchmarks.md, "Batch norm in Java" and
     * "Batch norm in float").
     */
    public static final String FUSED_BATCH_NORM_PROPERTY = "infopro.bn.fused";
    /**
     * {@code false} leaves float NCHW convolutions to libnd4j's oneDNN op instead of {@link DirectConvolution};
     * read when a graph is patched. On by default (docs/benchmarks.md, "Convolutions on oneDNN directly").
     */
    public static final String DIRECT_CONVOLUTION_PROPERTY = "infopro.conv.direct";
    /** Our opt-out environment variable. */
    public static final String OPT_OUT_ENV = "INFOPRO_ONEDNN";

    private static final Logger log = LoggerFactory.getLogger(OneDnnHelpers.class);

    private OneDnnHelpers() {
    }

    /** Enables the helpers unless the user opted out or set DL4J's property explicitly. Idempotent. */
    public static synchronized void configure() {
        if (System.getProperty(DL4J_DISABLE_PROPERTY) != null) {
            return;
        }
        if (optedOut()) {
            log.debug("oneDNN layer helpers left off ({}=false)", OPT_OUT_PROPERTY);
            return;
        }
        System.setProperty(DL4J_DISABLE_PROPERTY, "false");
    }

    static boolean optedOut() {
        String prop = System.getProperty(OPT_OUT_PROPERTY);
        String env = System.getenv(OPT_OUT_ENV);
        return "false".equalsIgnoreCase(prop) || (prop == null && "false".equalsIgnoreCase(env));
    }

    /** Whether new layers will get helpers: DL4J's switch is on and the backend reports oneDNN in use. */
    public static boolean active() {
        return !Boolean.parseBoolean(System.getProperty(DL4J_DISABLE_PROPERTY, "true"))
                && BaseMKLDNNHelper.mklDnnEnabled();
    }

    /**
     * The helper each layer of {@code graph} holds, by layer name (simple class name, or {@code null} when the
     * layer has none). DL4J drops a helper that reports itself unsupported, so a non-null entry after a training
     * step means the helper is in use for that layer.
     */
    public static Map<String, String> helpersOf(ComputationGraph graph) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Layer layer : graph.getLayers()) {
            LayerHelper helper = helperOf(layer);
            if (helper instanceof PatchedConvHelper) {
                helper = ((PatchedConvHelper) helper).delegate();
            }
            out.put(layer.conf().getLayer().getLayerName(), helper == null ? null : helper.getClass().getSimpleName());
        }
        return out;
    }

    /**
     * Fixes the layer helpers of {@code graph}: convolutions get a working oneDNN backward pass without bias and no
     * second forward pass in the backward pass ({@link PatchedConvHelper}), and batch norms run
     * {@link FusedBatchNormHelper} (unless {@value #FUSED_BATCH_NORM_PROPERTY} is {@code false}); call after
     * {@code init()}. Networks built by this library are patched already; call it for your own networks.
     * Idempotent.
     *
     * @return the graph, for chaining
     */
    public static ComputationGraph patch(ComputationGraph graph) {
        for (Layer layer : graph.getLayers()) {
            patch(layer);
        }
        return graph;
    }

    /**
     * {@link #patch(ComputationGraph)} for a graph that is only ever trained through {@code fit} or
     * {@code computeGradientAndScore}, which discard the gradient at the network's inputs: the convolutions and
     * batch norms fed by nothing but network inputs (and without an input pre-processor) then skip computing the
     * gradient at their input, as PyTorch does for an input that needs no gradient. That is a backward-data
     * convolution less per step, the cost of a forward one, in every local module after the first. The gradient
     * DL4J then holds for such an input reads as zeros, so do not use this on a graph whose input gradients are
     * asked for ({@code calculateGradients}, {@code backpropGradient}). Idempotent.
     *
     * @return the graph, for chaining
     */
    public static ComputationGraph patchForTraining(ComputationGraph graph) {
        patch(graph);
        ComputationGraphConfiguration conf = graph.getConfiguration();
        Set<String> inputs = new HashSet<>(conf.getNetworkInputs());
        for (Layer layer : graph.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            List<String> from = conf.getVertexInputs().get(name);
            GraphVertex vertex = conf.getVertices().get(name);
            boolean fedByInputsOnly = from != null && !from.isEmpty() && inputs.containsAll(from)
                    && vertex instanceof LayerVertex && ((LayerVertex) vertex).getPreProcessor() == null;
            if (!fedByInputsOnly) {
                continue;
            }
            if (helperOf(layer) instanceof InputGradientSkipping skipping) {
                skipping.inputGradientUnread();
            }
        }
        return graph;
    }

    /**
     * Patches one layer (see {@link #patch(ComputationGraph)}): a convolution's oneDNN helper gets the fixes of
     * {@link PatchedConvHelper}, a batch norm gets {@link FusedBatchNormHelper} in front of the helper it had (if
     * any); other layers are left alone.
     */
    public static void patch(Layer layer) {
        if (layer instanceof ConvolutionLayer) {
            replaceHelper(layer, ConvolutionLayer.class, h -> h instanceof MKLDNNConvHelper
                    ? new PatchedConvHelper((ConvolutionHelper) h, identityConvolution(layer),
                    ((org.deeplearning4j.nn.conf.layers.ConvolutionLayer) layer.conf().getLayer()).hasBias(),
                    directConvolution()) : null);
        } else if (layer instanceof BatchNormalization && fusedBatchNorm(layer)) {
            replaceHelper(layer, BatchNormalization.class, h -> h instanceof FusedBatchNormHelper ? null
                    : new FusedBatchNormHelper((BatchNormalizationHelper) h));
        }
    }

    // DL4J's own layer class only: subclasses may post-process the pre-activation values
    private static boolean identityConvolution(Layer layer) {
        return layer.getClass() == ConvolutionLayer.class
                && ((org.deeplearning4j.nn.conf.layers.ConvolutionLayer) layer.conf().getLayer()).getActivationFn()
                instanceof ActivationIdentity;
    }

    private static boolean directConvolution() {
        return !"false".equalsIgnoreCase(System.getProperty(DIRECT_CONVOLUTION_PROPERTY));
    }

    private static boolean fusedBatchNorm(Layer layer) {
        return !"false".equalsIgnoreCase(System.getProperty(FUSED_BATCH_NORM_PROPERTY))
                && !((org.deeplearning4j.nn.conf.layers.BatchNormalization) layer.conf().getLayer()).isLockGammaBeta();
    }

    // Sets the layer class's private "helper" field to replacement(current helper) when that is non-null.
    private static void replaceHelper(Layer layer, Class<?> layerClass,
                                      java.util.function.UnaryOperator<Object> replacement) {
        try {
            java.lang.reflect.Field f = layerClass.getDeclaredField("helper");
            f.setAccessible(true);
            Object replaced = replacement.apply(f.get(layer));
            if (replaced != null) {
                f.set(layer, replaced);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("Could not patch the oneDNN helper of layer {}: {}", layer.conf().getLayer().getLayerName(),
                    e.toString());
        }
    }

    /** The helper a layer holds, or {@code null}; layers without a {@code getHelper()} method have none. */
    public static LayerHelper helperOf(Layer layer) {
        try {
            Method m = layer.getClass().getMethod("getHelper");
            Object helper = m.invoke(layer);
            return helper instanceof LayerHelper ? (LayerHelper) helper : null;
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }
}
