package dev.infopro.dl4j.backend;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.LayerHelper;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that the oneDNN layer helpers are switched on by the library alone (no user step), that they are really
 * used for convolution, batch-norm and pooling layers in forward and backward passes, and that they train the
 * same as DL4J's built-in Java path.
 */
class OneDnnHelpersTest {

    @BeforeAll
    static void cpuBackendWithOneDnn() {
        Nd4j.create(1); // initialise ND4J, which loads our EnvironmentalAction service
        org.junit.jupiter.api.Assumptions.assumeTrue(
                Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend", "").equalsIgnoreCase("CPU"),
                "oneDNN helpers exist only on the CPU backend");
    }

    @AfterEach
    void restoreSwitch() {
        System.setProperty(OneDnnHelpers.DL4J_DISABLE_PROPERTY, "false");
    }

    /** A small residual CNN with every layer kind that has a oneDNN helper. */
    static ComputationGraphConfiguration residualCnn() {
        return new NeuralNetConfiguration.Builder()
                .seed(42).dataType(DataType.FLOAT).updater(new Sgd(0.05)).weightInit(WeightInit.RELU)
                .convolutionMode(ConvolutionMode.Same)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(16, 16, 3))
                .addLayer("conv0", new ConvolutionLayer.Builder(3, 3).nOut(8).hasBias(false).activation(Activation.IDENTITY).build(), "in")
                .addLayer("bn0", new BatchNormalization.Builder().build(), "conv0")
                .addLayer("relu0", new ActivationLayer(Activation.RELU), "bn0")
                .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nOut(8).activation(Activation.IDENTITY).build(), "relu0")
                .addLayer("bn1", new BatchNormalization.Builder().build(), "conv1")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bn1", "relu0")
                .addLayer("relu1", new ActivationLayer(Activation.RELU), "add")
                .addLayer("pool", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(), "relu1")
                .addLayer("gap", new GlobalPoolingLayer(PoolingType.AVG), "pool")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").build();
    }

    static DataSet batch(int i) {
        Nd4j.getRandom().setSeed(100 + i);
        INDArray x = Nd4j.rand(DataType.FLOAT, 8, 3, 16, 16);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 8, 4);
        for (int r = 0; r < 8; r++) {
            y.putScalar(r, (r + i) % 4, 1f);
        }
        return new DataSet(x, y);
    }

    @Test
    void helpersAreSwitchedOnWithoutAnyUserStep() {
        assertEquals("false", System.getProperty(OneDnnHelpers.DL4J_DISABLE_PROPERTY));
        assertTrue(OneDnnHelpers.active(), "oneDNN helpers should be active on the onednn CPU build");
    }

    @Test
    void helpersAreUsedInForwardAndBackwardAndTrainLikeTheBuiltInPath() throws Exception {
        ComputationGraph withHelpers = new ComputationGraph(residualCnn());
        withHelpers.init();
        OneDnnHelpers.patch(withHelpers);

        System.setProperty(OneDnnHelpers.DL4J_DISABLE_PROPERTY, "true"); // built-in Java path for this network
        ComputationGraph builtIn = new ComputationGraph(residualCnn());
        builtIn.init();
        System.setProperty(OneDnnHelpers.DL4J_DISABLE_PROPERTY, "false");
        builtIn.setParams(withHelpers.params().dup());

        Map<String, String> helpers = OneDnnHelpers.helpersOf(withHelpers);
        assertEquals("MKLDNNConvHelper", helpers.get("conv0"));
        assertEquals("MKLDNNConvHelper", helpers.get("conv1"));
        assertEquals("FusedBatchNormHelper", helpers.get("bn0"));
        assertEquals("MKLDNNSubsamplingHelper", helpers.get("pool"));
        for (String name : new String[]{"conv0", "bn0", "pool"}) {
            assertNull(OneDnnHelpers.helpersOf(builtIn).get(name), "built-in network must not hold a helper: " + name);
        }

        // Count the helper calls that returned a result (a null result means DL4J fell back to its Java path).
        Map<String, AtomicInteger> used = new ConcurrentHashMap<>();
        for (String name : new String[]{"conv0", "conv1", "bn0", "bn1", "pool"}) {
            instrument(withHelpers.getLayer(name), name, used);
        }

        for (int step = 0; step < 3; step++) {
            DataSet ds = batch(step);
            withHelpers.fit(ds);
            builtIn.fit(ds);
            double a = withHelpers.score();
            double b = builtIn.score();
            assertEquals(b, a, 1e-3 * Math.abs(b), "loss after step " + step);
        }
        // In M2.1 SubsamplingLayer's forward pass calls the native maxpool2d op directly (oneDNN inside libnd4j)
        // and consults its helper only for the backward pass.
        for (String name : new String[]{"conv0", "conv1", "bn0", "bn1", "pool"}) {
            for (String pass : name.equals("pool") ? new String[]{"backward"} : new String[]{"forward", "backward"}) {
                AtomicInteger n = used.get(name + "." + pass);
                assertTrue(n != null && n.get() >= 3, name + " helper " + pass + " used in every step, got " + n);
            }
        }
        INDArray p1 = withHelpers.params();
        INDArray p2 = builtIn.params();
        double rel = p1.sub(p2).norm2Number().doubleValue() / p2.norm2Number().doubleValue();
        assertTrue(rel < 1e-3, "parameters after 3 SGD steps differ by " + rel + " (relative L2)");
        assertTrue(p1.sub(p2).amaxNumber().doubleValue() < 1e-3 * p2.amaxNumber().doubleValue() + 1e-5);
    }

    /** Replaces the layer's helper by a proxy that counts non-null forward/backward results. */
    private static void instrument(Layer layer, String name, Map<String, AtomicInteger> used) throws Exception {
        Field f = helperField(layer.getClass());
        f.setAccessible(true);
        LayerHelper real = (LayerHelper) f.get(layer);
        Class<?>[] interfaces = real.getClass().getInterfaces();
        Object proxy = Proxy.newProxyInstance(real.getClass().getClassLoader(), interfaces,
                (p, m, args) -> {
                    Object r;
                    try {
                        r = m.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                    String pass = m.getName().startsWith("backprop") ? "backward"
                            : (m.getName().equals("preOutput") || m.getName().equals("activate")) ? "forward" : null;
                    if (pass != null && r != null) {
                        used.computeIfAbsent(name + "." + pass, k -> new AtomicInteger()).incrementAndGet();
                    }
                    return r;
                });
        f.set(layer, proxy);
    }

    private static Field helperField(Class<?> c) throws NoSuchFieldException {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            try {
                return k.getDeclaredField("helper");
            } catch (NoSuchFieldException ignored) {
                // look in the superclass
            }
        }
        throw new NoSuchFieldException("helper in " + c);
    }
}
