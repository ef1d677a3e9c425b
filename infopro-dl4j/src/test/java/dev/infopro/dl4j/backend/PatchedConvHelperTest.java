package dev.infopro.dl4j.backend;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.ConvolutionHelper;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * {@link PatchedConvHelper} skips the forward convolution that DL4J's {@code ConvolutionLayer.backpropGradient} runs
 * again for the activation's derivative, only where the activation is the identity, and training is unchanged by it.
 */
class PatchedConvHelperTest {

    @BeforeAll
    static void oneDnn() {
        Nd4j.create(1);
        org.junit.jupiter.api.Assumptions.assumeTrue(OneDnnHelpers.active(), "needs the oneDNN CPU build");
    }

    /** "lin": identity activation and no bias, into batch norm; "relu": its own ReLU activation and a bias. */
    private static ComputationGraphConfiguration net() {
        return new NeuralNetConfiguration.Builder()
                .seed(5).dataType(DataType.FLOAT).updater(new Sgd(0.05)).weightInit(WeightInit.RELU)
                .convolutionMode(ConvolutionMode.Same)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(10, 10, 2))
                .addLayer("lin", new ConvolutionLayer.Builder(3, 3).nOut(6).hasBias(false)
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("bn", new BatchNormalization.Builder().build(), "lin")
                .addLayer("relu", new ConvolutionLayer.Builder(3, 3).nOut(6).activation(Activation.RELU).build(), "bn")
                .addLayer("gap", new GlobalPoolingLayer(PoolingType.AVG), "relu")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").build();
    }

    private static DataSet batch(int seed) {
        Nd4j.getRandom().setSeed(seed);
        return new DataSet(Nd4j.rand(DataType.FLOAT, 8, 2, 10, 10), TestLabels.threeClasses(DataType.FLOAT, 8, seed));
    }

    /**
     * Puts a {@link PatchedConvHelper} into the layer around DL4J's oneDNN helper, which is wrapped to count the
     * forward convolutions it computes.
     */
    private static AtomicInteger countForwardConvolutions(Layer layer, boolean identityActivation) throws Exception {
        Field f = org.deeplearning4j.nn.layers.convolution.ConvolutionLayer.class.getDeclaredField("helper");
        f.setAccessible(true);
        Object current = f.get(layer);
        ConvolutionHelper oneDnn = current instanceof PatchedConvHelper ? ((PatchedConvHelper) current).delegate()
                : (ConvolutionHelper) current;
        AtomicInteger count = new AtomicInteger();
        ConvolutionHelper counting = (ConvolutionHelper) Proxy.newProxyInstance(PatchedConvHelperTest.class.getClassLoader(),
                new Class<?>[]{ConvolutionHelper.class}, (p, m, args) -> {
                    if (m.getName().equals("preOutput")) {
                        count.incrementAndGet();
                    }
                    try {
                        return m.invoke(oneDnn, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        boolean hasBias = ((ConvolutionLayer) layer.conf().getLayer()).hasBias();
        f.set(layer, new PatchedConvHelper(counting, identityActivation, hasBias, false)); // libnd4j's path, counted
        return count;
    }

    @Test
    void theBackwardPassConvolvesNoMoreForIdentityActivations() throws Exception {
        ComputationGraph patched = new ComputationGraph(net());
        patched.init();
        OneDnnHelpers.patch(patched);
        assertInstanceOf(PatchedConvHelper.class, OneDnnHelpers.helperOf(patched.getLayer("lin")));
        ComputationGraph recomputing = new ComputationGraph(net());
        recomputing.init();
        OneDnnHelpers.patch(recomputing); // the same batch-norm code on both sides
        recomputing.setParams(patched.params().dup());

        AtomicInteger lin = countForwardConvolutions(patched.getLayer("lin"), true);
        AtomicInteger relu = countForwardConvolutions(patched.getLayer("relu"), false);
        AtomicInteger linBefore = countForwardConvolutions(recomputing.getLayer("lin"), false);
        for (int step = 0; step < 3; step++) {
            DataSet ds = batch(step);
            patched.fit(ds);
            recomputing.fit(ds);
            assertEquals(recomputing.score(), patched.score(), 0.0, "score of step " + step);
        }
        assertEquals(3, lin.get(), "identity activation: one convolution per step, in the forward pass");
        assertEquals(6, relu.get(), "ReLU activation: DL4J's second convolution in the backward pass is kept");
        assertEquals(6, linBefore.get(), "without the patch DL4J convolves twice per step");
        // the same kernels in the same order: the parameters are bit for bit those of DL4J's own backward pass
        assertEquals(recomputing.params(), patched.params());
    }
}
