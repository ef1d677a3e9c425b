package dev.infopro.dl4j.backend;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.LayerHelper;
import org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.Map;

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
     * {@code true} runs batch norm's backward pass with libnd4j's generic kernel instead of DL4J's oneDNN one
     * ({@link GenericBatchNormBackprop}); read when a graph is patched. Off by default: the kernel alone is faster,
     * but no gain in a whole training step has been shown yet (docs/benchmarks.md, "Where the time goes").
     */
    public static final String GENERIC_BN_BACKWARD_PROPERTY = "infopro.bn.genericBackward";
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
            if (helper instanceof BiasFreeConvHelper) {
                helper = ((BiasFreeConvHelper) helper).delegate();
            }
            out.put(layer.conf().getLayer().getLayerName(), helper == null ? null : helper.getClass().getSimpleName());
        }
        return out;
    }

    /**
     * Fixes the oneDNN helpers of {@code graph}: convolutions without bias get a working backward pass
     * ({@link BiasFreeConvHelper}), and batch norms optionally the generic backward kernel (see
     * {@link #GENERIC_BN_BACKWARD_PROPERTY}); call after
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
     * Patches one layer (see {@link #patch(ComputationGraph)}): a convolution's oneDNN helper gets the bias-free fix
     * ({@link BiasFreeConvHelper}), a batch norm's oneDNN helper runs its backward pass with libnd4j's generic kernel
     * ({@link GenericBatchNormBackprop}) when {@value #GENERIC_BN_BACKWARD_PROPERTY} is {@code true}; other layers
     * are left alone.
     */
    public static void patch(Layer layer) {
        if (layer instanceof org.deeplearning4j.nn.layers.convolution.ConvolutionLayer) {
            replaceHelper(layer, org.deeplearning4j.nn.layers.convolution.ConvolutionLayer.class, h ->
                    h instanceof org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper
                            ? new BiasFreeConvHelper((org.deeplearning4j.nn.layers.convolution.ConvolutionHelper) h)
                            : null);
        } else if (layer instanceof org.deeplearning4j.nn.layers.normalization.BatchNormalization
                && Boolean.getBoolean(GENERIC_BN_BACKWARD_PROPERTY)) {
            replaceHelper(layer, org.deeplearning4j.nn.layers.normalization.BatchNormalization.class, h ->
                    h != null && h.getClass() == org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper.class
                            ? new GenericBatchNormBackprop(layer.params() == null
                            ? org.nd4j.linalg.api.buffer.DataType.FLOAT : layer.params().dataType())
                            : null);
        }
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
