package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.config.SplitStrategy;
import dev.infopro.dl4j.planning.BlockBoundaries;
import dev.infopro.dl4j.planning.CutPlanner;
import dev.infopro.dl4j.planning.GraphAnalysis;
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
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.zoo.model.ResNet50;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Automatic splits (modules(K, strategy)) cut at block boundaries ({@link BlockBoundaries}) on networks we did not
 * write: never between a convolution and its batch norm, never after a zero padding; with too few boundaries for K,
 * among all valid cuts. Cuts the user names are never moved.
 */
class AutomaticCutsTest {
    private static final InputType GREY_28 = InputType.convolutional(28, 28, 1);

    /**
     * A user's residual network as issue 12 tried it: stem convolution (identity activation), its batch norm and
     * ReLU, then three basic blocks (conv-BN-ReLU-conv-BN, sum with the shortcut, ReLU; b2 and b3 downsample with a
     * 1x1 convolution shortcut), global pooling and the classifier; the graph's own Adam.
     */
    static ComputationGraphConfiguration userResNet() {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(1)
                .updater(new Adam(1e-3)).weightInit(WeightInit.RELU).convolutionMode(ConvolutionMode.Same)
                .graphBuilder().addInputs("in");
        g.addLayer("stem", conv(3, 1, 16), "in");
        g.addLayer("stem_bn", new BatchNormalization.Builder().build(), "stem");
        g.addLayer("stem_relu", relu(), "stem_bn");
        String prev = "stem_relu";
        int channels = 16;
        for (int b = 1; b <= 3; b++) {
            String n = "b" + b;
            int stride = b == 1 ? 1 : 2;
            int out = channels * stride;
            g.addLayer(n + "_c1", conv(3, stride, out), prev);
            g.addLayer(n + "_bn1", new BatchNormalization.Builder().build(), n + "_c1");
            g.addLayer(n + "_r1", relu(), n + "_bn1");
            g.addLayer(n + "_c2", conv(3, 1, out), n + "_r1");
            g.addLayer(n + "_bn2", new BatchNormalization.Builder().build(), n + "_c2");
            String shortcut = prev;
            if (stride != 1) {
                g.addLayer(n + "_sc", conv(1, stride, out), prev);
                shortcut = n + "_sc";
            }
            g.addVertex(n + "_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), n + "_bn2", shortcut);
            g.addLayer(n, relu(), n + "_add");
            prev = n;
            channels = out;
        }
        g.addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), prev);
        g.addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                .activation(Activation.SOFTMAX).build(), "gap");
        return g.setOutputs("out").setInputTypes(GREY_28).build();
    }

    private static ConvolutionLayer conv(int kernel, int stride, int out) {
        return new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).nOut(out)
                .activation(Activation.IDENTITY).build();
    }

    private static ActivationLayer relu() {
        return new ActivationLayer.Builder().activation(Activation.RELU).build();
    }

    private static List<String> split(ComputationGraphConfiguration conf, InputType in, int k, SplitStrategy s,
                                      LocalLearning method) {
        return LocalModuleGraph.builder(conf).inputTypes(in).modules(k, s).memoryBatchSize(32).method(method).build()
                .getConfig().getCuts();
    }

    @Test
    void boundariesOfTheTestResidualGraph() {
        ComputationGraphConfiguration conf = TestNets.residualConf(new Sgd(0.1));
        GraphAnalysis a = new GraphAnalysis(conf);
        // c0 (conv+ReLU) is continued by its batch norm, add1 by its activation: both are inside a block
        assertEquals(List.of("c0", "bn0", "add1", "act1", "c2", "gap"), a.validCuts());
        assertEquals(List.of("bn0", "act1", "c2", "gap"), BlockBoundaries.of(conf, a, a.validCuts()));
    }

    @Test
    void userResNetIsCutAfterItsStemAndBlocksOnly() {
        ComputationGraphConfiguration conf = userResNet();
        GraphAnalysis a = new GraphAnalysis(conf);
        assertEquals(List.of("stem", "stem_bn", "stem_relu", "b1_add", "b1", "b2_add", "b2", "b3_add", "b3", "gap"),
                a.validCuts());
        assertEquals(List.of("stem_relu", "b1", "b2", "b3", "gap"), BlockBoundaries.of(conf, a, a.validCuts()));
        LocalLearning infoPro = LocalLearning.infoProContrast();
        // before block boundaries: [stem_relu, b1_add] (and after the stem conv and its BN at other K and sizes)
        assertEquals(List.of("stem_relu", "b1"), split(conf, GREY_28, 3, SplitStrategy.BALANCED_MEMORY, infoPro));
        assertEquals(List.of("stem_relu", "b1"), split(conf, GREY_28, 3, SplitStrategy.BALANCED_TIME, infoPro));
        // layers per module 9 / 7 / 9 (was [b1_add, b2]: 8 / 8 / 9, one cut between a sum and its ReLU)
        assertEquals(List.of("b1", "b2"), split(conf, GREY_28, 3, SplitStrategy.EQUAL_DEPTH, infoPro));
        // the user's own cut is kept as given, inside a block or not
        assertEquals(List.of("stem", "b1_add"), LocalModuleGraph.builder(conf).inputTypes(GREY_28)
                .cutAfter("b1_add", "stem").method(infoPro).build().getConfig().getCuts());
    }

    @Test
    void zooResNet50IsCutAtBlockOutputs() {
        // the configuration alone (no 25M parameters): the planner reads nothing else
        ComputationGraphConfiguration conf = ResNet50.builder().numClasses(10).inputShape(new int[]{3, 75, 75})
                .build().graphBuilder().build();
        InputType[] in = {InputType.convolutional(75, 75, 3)};
        GraphAnalysis a = new GraphAnalysis(conf);
        LocalLearning infoPro = LocalLearning.infoProContrast();
        // before: [stem-zero, stem-cnn1, stem-maxpool1], after a zero padding and between the stem conv and its BN
        assertEquals(List.of("stem-maxpool1", "res2a_branch", "res2b_branch"), CutPlanner.chooseCuts(conf, in, a, 4,
                SplitStrategy.BALANCED_MEMORY, infoPro, CutPlanner.headContext(in, 10), 2));
        // before: [short3a_branch, short4a_branch, res4e_branch], two cuts between a sum and its ReLU
        assertEquals(List.of("res3a_branch", "res4a_branch", "res4e_branch"), CutPlanner.chooseCuts(conf, in, a, 4,
                SplitStrategy.EQUAL_DEPTH, infoPro, CutPlanner.headContext(in, 10), 2));
        List<String> boundaries = BlockBoundaries.of(conf, a, a.validCuts());
        assertEquals(17, boundaries.size(), boundaries.toString()); // the stem's pooling, 16 blocks, the last pooling
        assertEquals("stem-maxpool1", boundaries.get(0));
        assertTrue(boundaries.stream().noneMatch(v -> v.startsWith("short") || v.startsWith("stem-") && !v.equals(
                "stem-maxpool1")), boundaries.toString());
    }

    @Test
    void leNetIsCutAfterItsPoolings() {
        MultiLayerNetwork lenet = new MultiLayerNetwork(DropInTest.lenet());
        lenet.init();
        InputType in = InputType.convolutional(12, 12, 1);
        LocalLearning infoPro = LocalLearning.infoProContrast();
        // layers 0..5: conv, pool, conv, pool, dense, output; a convolution's ReLU is continued by its pooling
        for (SplitStrategy s : new SplitStrategy[]{SplitStrategy.EQUAL_DEPTH, SplitStrategy.BALANCED_MEMORY}) {
            assertEquals(List.of("1", "3"), LocalModuleGraph.builder(lenet).inputTypes(in).modules(3, s)
                    .method(infoPro).build().getConfig().getCuts(), s.toString());
        }
        // EQUAL_DEPTH K = 2 was [2], between the second convolution and its pooling
        assertEquals(List.of("1"), LocalModuleGraph.builder(lenet).inputTypes(in)
                .modules(2, SplitStrategy.EQUAL_DEPTH).method(infoPro).build().getConfig().getCuts());
        // a classifier head also reads the dense layer's output: greedy K = 4 has three boundaries
        assertEquals(List.of("1", "3", "4"), LocalModuleGraph.builder(lenet).inputTypes(in)
                .modules(4, SplitStrategy.BALANCED_MEMORY).method(LocalLearning.greedy()).build().getConfig()
                .getCuts());
    }

    @Test
    void tooFewBoundariesFallBackToAllValidCuts() {
        ComputationGraphConfiguration conf = TestNets.residualConf(new Sgd(0.1));
        GraphAnalysis a = new GraphAnalysis(conf);
        LocalLearning greedy = LocalLearning.greedy(new TestClassifierHead());
        InputType[] in = {TestNets.INPUT};
        // four boundaries, but a cut after both c2 and gap would leave a module of only the global pooling, which
        // trains nothing: gap is left out, and K = 4 takes the other three
        assertEquals(List.of("bn0", "act1", "c2"),
                CutPlanner.candidateCuts(conf, in, a, 4, greedy, TestNets.context()));
        assertEquals(List.of("bn0", "act1", "c2"), split(conf, TestNets.INPUT, 4, SplitStrategy.EQUAL_DEPTH, greedy));
        // K = 5 needs four cuts: all six valid cuts are offered, and EQUAL_DEPTH cuts inside the blocks too (layers
        // per module 1, 1, 2, 2, 2: the least sum of squares for 8 layers in 5 modules, 14)
        assertEquals(a.validCuts(), CutPlanner.candidateCuts(conf, in, a, 5, greedy, TestNets.context()));
        assertEquals(List.of("c0", "bn0", "add1", "c2"), split(conf, TestNets.INPUT, 5, SplitStrategy.EQUAL_DEPTH,
                greedy));
        // LeNet with InfoPro: two boundaries [1, 3] for K = 4, so one cut falls inside a block
        MultiLayerNetwork lenet = new MultiLayerNetwork(DropInTest.lenet());
        lenet.init();
        assertEquals(List.of("1", "2", "3"), LocalModuleGraph.builder(lenet)
                .inputTypes(InputType.convolutional(12, 12, 1)).modules(4, SplitStrategy.BALANCED_MEMORY)
                .method(LocalLearning.infoProContrast()).build().getConfig().getCuts());
    }
}
