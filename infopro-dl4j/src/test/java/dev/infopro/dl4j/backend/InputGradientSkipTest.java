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
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;


import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link OneDnnHelpers#patchForTraining}: the layers fed only by the network's input skip the gradient at that input,
 * and training is bit for bit what {@link OneDnnHelpers#patch} gives, on a residual block whose input also feeds the
 * shortcut and a batch norm (so that DL4J sums three gradients at the input, one of them real).
 */
class InputGradientSkipTest {

    @BeforeAll
    static void oneDnn() {
        Nd4j.create(1);
        org.junit.jupiter.api.Assumptions.assumeTrue(OneDnnHelpers.active() && OneDnn.available(),
                "needs the oneDNN CPU build");
    }

    /** A residual block on the input: conv-bn-relu-conv-bn plus the input itself plus a batch norm of the input. */
    private static ComputationGraphConfiguration block() {
        ComputationGraphConfiguration.GraphBuilder g = start(11)
                .addLayer("relu1", new ActivationLayer(Activation.RELU), "bn1")
                .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(4).hasBias(false)
                        .activation(Activation.IDENTITY).build(), "relu1")
                .addLayer("bn2", new BatchNormalization.Builder().build(), "conv2")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bn2", "in", "bnIn");
        return end(g);
    }

    /** Two layers at the input and no shortcut: DL4J adds one skipped gradient into the other. */
    private static ComputationGraphConfiguration twoAtTheInput() {
        return end(start(12).addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bn1", "bnIn"));
    }

    /** in -> conv1 -> bn1, and in -> bnIn: the two layers at the input. */
    private static ComputationGraphConfiguration.GraphBuilder start(long seed) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed).dataType(DataType.FLOAT).updater(new Sgd(0.05)).weightInit(WeightInit.RELU)
                .convolutionMode(ConvolutionMode.Same)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(9, 9, 4))
                .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nOut(4).hasBias(false)
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("bn1", new BatchNormalization.Builder().build(), "conv1")
                .addLayer("bnIn", new BatchNormalization.Builder().build(), "in");
    }

    /** "add" -> ReLU -> average pool -> softmax output. */
    private static ComputationGraphConfiguration end(ComputationGraphConfiguration.GraphBuilder g) {
        return g.addLayer("relu2", new ActivationLayer(Activation.RELU), "add")
                .addLayer("gap", new GlobalPoolingLayer(PoolingType.AVG), "relu2")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").build();
    }

    private static DataSet batch(int seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray y = TestLabels.threeClasses(DataType.FLOAT, 6, seed);
        return new DataSet(Nd4j.rand(DataType.FLOAT, 6, 4, 9, 9).subi(0.5), y);
    }

    private static boolean reads(Layer layer) {
        return ((InputGradientSkipping) OneDnnHelpers.helperOf(layer)).inputGradientRead();
    }

    @Test
    void onlyTheLayersAtTheInputSkipItsGradient() {
        ComputationGraph g = OneDnnHelpers.patchForTraining(init(block()));
        assertFalse(reads(g.getLayer("conv1")));
        assertFalse(reads(g.getLayer("bnIn")));
        assertTrue(reads(g.getLayer("conv2")));
        assertTrue(reads(g.getLayer("bn1")));
        assertTrue(reads(g.getLayer("bn2")));
        assertTrue(reads(OneDnnHelpers.patch(init(block())).getLayer("conv1")), "patch alone computes it");
    }

    @Test
    void trainingIsBitForBitThatOfTheFullBackwardPass() {
        trainsAsTheFullBackwardPass(block());
        trainsAsTheFullBackwardPass(twoAtTheInput());
    }

    private static void trainsAsTheFullBackwardPass(ComputationGraphConfiguration c) {
        ComputationGraph full = OneDnnHelpers.patch(init(c.clone()));
        ComputationGraph skipping = OneDnnHelpers.patchForTraining(init(c.clone()));
        assertFalse(reads(skipping.getLayer("conv1")));
        skipping.setParams(full.params().dup());
        for (int step = 0; step < 3; step++) {
            DataSet ds = batch(step);
            full.fit(ds);
            skipping.fit(ds);
            assertEquals(full.score(), skipping.score(), 0.0, "score of step " + step);
        }
        assertEquals(full.params(), skipping.params());
        assertNotEquals(0.0, full.params().sub(init(c.clone()).params()).norm2Number().doubleValue(),
                "the steps changed the parameters");
    }

    @Test
    void theSkippedGradientReadsAsZerosWithoutMemory() {
        ComputationGraph full = OneDnnHelpers.patch(init(block()));
        ComputationGraph skipping = OneDnnHelpers.patchForTraining(init(block()));
        DataSet ds = batch(3);
        INDArray real = conv1InputGradient(full, ds.getFeatures());
        assertNotEquals(0.0, real.amaxNumber().doubleValue(), "patch alone: a real gradient");
        INDArray unread = conv1InputGradient(skipping, ds.getFeatures());
        assertArrayEquals(ds.getFeatures().shape(), unread.shape());
        assertArrayEquals(new long[4], unread.stride(), "no memory behind it");
        assertEquals(0.0, unread.amaxNumber().doubleValue(), 0.0);
    }

    private static INDArray conv1InputGradient(ComputationGraph g, INDArray x) {
        g.initGradientsView();
        Layer conv1 = g.getLayer("conv1");
        conv1.setInput(x, LayerWorkspaceMgr.noWorkspaces());
        INDArray out = conv1.activate(true, LayerWorkspaceMgr.noWorkspaces());
        Nd4j.getRandom().setSeed(2);
        INDArray eps = Nd4j.rand(DataType.FLOAT, out.shape());
        return conv1.backpropGradient(eps, LayerWorkspaceMgr.noWorkspaces()).getSecond();
    }

    private static ComputationGraph init(ComputationGraphConfiguration c) {
        ComputationGraph g = new ComputationGraph(c);
        g.init();
        return g;
    }

}
