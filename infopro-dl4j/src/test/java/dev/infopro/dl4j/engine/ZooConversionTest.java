package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.backend.OneDnnHelpers;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.config.SplitStrategy;
import dev.infopro.dl4j.planning.BlockBoundaries;
import dev.infopro.dl4j.planning.GraphAnalysis;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.zoo.model.Darknet19;
import org.deeplearning4j.zoo.model.InceptionResNetV1;
import org.deeplearning4j.zoo.model.ResNet50;
import org.deeplearning4j.zoo.model.SqueezeNet;
import org.deeplearning4j.zoo.model.VGG16;
import org.deeplearning4j.zoo.model.Xception;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.function.IntFunction;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DL4J model zoo's networks, built with random weights ({@code init()}, nothing downloaded) at the smallest
 * square input each architecture takes, convert as any user's graph does: the valid cuts, a K = 4 memory-balanced
 * split at block boundaries, two InfoPro (Contrast) steps with the network's own updater, and an export whose output
 * equals the local model's.
 */
class ZooConversionTest {
    private static final int CLASSES = 10;
    private static final int BATCH = 2;
    private static DataType previousDefault;

    @BeforeAll
    static void floatPrecision() {
        previousDefault = Nd4j.dataType();
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }

    @AfterAll
    static void restorePrecision() {
        Nd4j.setDefaultDataTypes(previousDefault, previousDefault);
    }

    static Stream<Arguments> zoo() {
        return Stream.of(
                zoo("ResNet50", 75, s -> ResNet50.builder().numClasses(CLASSES).inputShape(shape(s)).build().init(),
                        38, "stem-zero", "avgpool"),
                zoo("VGG16", 32, s -> VGG16.builder().numClasses(CLASSES).inputShape(shape(s)).build().init(),
                        20, "0", "19"),
                zoo("Darknet19", 32, s -> Darknet19.builder().numClasses(CLASSES).inputShape(shape(s)).build().init(),
                        62, "convolution2d_1", "softmax"),
                zoo("SqueezeNet", 32, s -> SqueezeNet.builder().numClasses(CLASSES).inputShape(shape(s)).build().init(),
                        34, "conv1", "softmax"),
                zoo("Xception", 32, s -> Xception.builder().numClasses(CLASSES).inputShape(shape(s)).build().init(),
                        25, "block1_conv1", "avg_pool"),
                zoo("InceptionResNetV1", 80, s -> InceptionResNetV1.builder().numClasses(CLASSES).inputShape(shape(s))
                        .build().init(), 59, "stem-cnn1", "embeddings"));
    }

    /**
     * @param size      the smallest square input the architecture takes: ResNet50's 3x3 average pool needs 75
     *                  (3x3 after the last stage), InceptionResNetV1's reduction-B 3x3 stride-2 convolution 80 (3x3
     *                  after reduction-A); the others run at 32
     * @param validCuts how many valid cut vertices the graph has, and the first and last of them
     */
    private static Arguments zoo(String name, int size, IntFunction<ComputationGraph> net, int validCuts,
                                 String firstCut, String lastCut) {
        return Arguments.of(name, size, net, validCuts, firstCut, lastCut);
    }

    private static int[] shape(int size) {
        return new int[]{3, size, size};
    }

    @ParameterizedTest(name = "{0} at {1}x{1}")
    @MethodSource("zoo")
    void convertsTrainsAndExports(String name, int size, IntFunction<ComputationGraph> factory, int validCuts,
                                  String firstCut, String lastCut) {
        ComputationGraph net = factory.apply(size);
        GraphAnalysis analysis = new GraphAnalysis(net.getConfiguration());
        List<String> valid = analysis.validCuts();
        assertEquals(validCuts, valid.size(), name + " valid cuts " + valid);
        assertEquals(firstCut, valid.get(0));
        assertEquals(lastCut, valid.get(valid.size() - 1));

        LocalModuleGraph local = LocalModuleGraph.builder(net).modules(4, SplitStrategy.BALANCED_MEMORY)
                .memoryBatchSize(BATCH).method(LocalLearning.infoProContrast()).build();
        assertEquals(4, local.numModules());

        Nd4j.getRandom().setSeed(7);
        for (int step = 0; step < 2; step++) {
            double[] scores = local.fit(batch(size, step));
            assertEquals(4, scores.length);
            for (int m = 0; m < 4; m++) {
                assertTrue(Double.isFinite(scores[m]), name + " module " + m + " loss " + scores[m]);
            }
        }
        // Darknet19 and SqueezeNet end in a parameterless LossLayer: the classes come from the layer before it
        assertEquals(CLASSES, local.getConfig().getNumClasses());
        List<String> cuts = local.getConfig().getCuts();
        assertEquals(3, cuts.size(), cuts.toString());
        assertTrue(valid.indexOf(cuts.get(0)) >= 0 && valid.indexOf(cuts.get(0)) < valid.indexOf(cuts.get(1))
                && valid.indexOf(cuts.get(1)) < valid.indexOf(cuts.get(2)), cuts + " in order among " + valid);
        // all six have enough block boundaries for K = 4: no cut between a convolution and its batch norm
        assertEquals(BlockBoundaries.of(net.getConfiguration(), analysis, cuts), cuts, name + " cuts at boundaries");

        INDArray x = Nd4j.rand(DataType.FLOAT, BATCH, 3, size, size);
        // patched like the modules, so that batch norm runs the same code (DL4J's own agrees to rounding only, which
        // an untrained InceptionResNetV1 in float amplifies to 1e-2 against double precision, whichever code runs)
        INDArray exported = OneDnnHelpers.patch(local.toComputationGraph()).output(x)[0];
        INDArray localOut = local.output(x)[0];
        // exact: the exported graph runs the same layers with the same weights in the same order as the modules
        assertEquals(localOut, exported, name + ": the exported network computes what the local model does");
        assertFalse(net.params().equals(local.toComputationGraph().params()), "two steps trained the modules");
    }

    private static DataSet batch(int size, int seed) {
        INDArray x = Nd4j.rand(DataType.FLOAT, BATCH, 3, size, size);
        INDArray y = Nd4j.zeros(DataType.FLOAT, BATCH, CLASSES);
        for (int i = 0; i < BATCH; i++) {
            y.putScalar(i, (i + seed) % CLASSES, 1.0);
        }
        return new DataSet(x, y);
    }
}
