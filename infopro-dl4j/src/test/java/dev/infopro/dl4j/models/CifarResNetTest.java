package dev.infopro.dl4j.models;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CifarResNetTest {

    /** Trainable parameters as PyTorch counts them: DL4J's numParams() also holds BN running mean and variance. */
    static long trainableParams(ComputationGraph graph) {
        long runningStats = 0;
        for (Layer l : graph.getLayers()) {
            if (l.conf().getLayer() instanceof BatchNormalization) {
                runningStats += l.getParam("mean").length() + l.getParam("var").length();
            }
        }
        return graph.numParams() - runningStats;
    }

    @ParameterizedTest
    @CsvSource({"20, 272474", "32, 466906", "110, 1730714"})
    void trainableParameterCountsEqualTheReference(int depth, long expected) {
        ComputationGraph g = new ComputationGraph(CifarResNet.builder().depth(depth).build().configuration());
        g.init();
        assertEquals(expected, trainableParams(g));
    }

    @Test
    void forwardShapeForNonCifarInput() {
        ComputationGraph g = CifarResNet.builder().depth(8).channels(1).height(28).width(28).numClasses(7).build().init();
        INDArray out = g.outputSingle(Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 1, 28, 28));
        assertArrayEquals(new long[]{2, 7}, out.shape());
        assertEquals(2.0, out.sumNumber().doubleValue(), 1e-5, "softmax rows sum to 1");
        // 28 -> 14 -> 7 in stages 2 and 3, as PyTorch's conv arithmetic gives
        assertArrayEquals(new long[]{2, 64, 7, 7},
                g.feedForward(Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 1, 28, 28), false).get("s3b0").shape());
    }

    @Test
    void heFanOutInitHasTheReferenceStandardDeviation() {
        ComputationGraph g = CifarResNet.builder().depth(20).build().init();
        INDArray w = g.getLayer("s3b1_conv1").getParam("W"); // 64x64x3x3: std sqrt(2/(9*64))
        assertEquals(Math.sqrt(2.0 / (9 * 64)), w.stdNumber().doubleValue(), 0.003);
        INDArray fc = g.getLayer("fc").getParam("W");          // U(+-1/8)
        assertTrue(fc.amaxNumber().doubleValue() <= 1.0 / 8);
        assertTrue(g.getLayer("fc").getParam("b").amaxNumber().doubleValue() > 0, "bias re-initialised, not constant 0");
    }

    @Test
    void badDepthIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CifarResNet.builder().depth(21).build().configuration());
        assertTrue(e.getMessage().contains("6n+2"), e.getMessage());
    }

    @Test
    void presetsNameExistingVerticesAndMatchTheTables() {
        for (int depth : new int[]{20, 32, 110}) {
            List<String> units = CifarResNet.builder().depth(depth).build().units();
            for (int k : depth == 20 ? new int[]{2, 3, 4, 8, 10} : new int[]{2, 3, 4, 8, 16}) {
                List<String> cuts = CutPresets.cuts(depth, k, false, false);
                assertEquals(k - 1, cuts.size(), "ResNet-" + depth + " K=" + k);
                int last = -1;
                for (String c : cuts) {
                    int idx = units.indexOf(c);
                    assertTrue(idx > last && idx < units.size() - 1, c + " in order and not the last unit");
                    last = idx;
                }
            }
        }
        assertEquals(List.of("s1b2", "s2b1", "s3b0"), CutPresets.cuts(32, 4, false, false));
        assertEquals(List.of("s1b6", "s1b14", "s2b8"), CutPresets.cuts(110, 4, true, false));
        assertEquals(List.of("s1b8", "s2b1"), CutPresets.cuts(110, 3, true, true));
        // even rule: ResNet-20 (9 blocks) K=4 -> 2/2/2/3 blocks
        assertEquals(List.of("s1b1", "s2b0", "s2b2"), CutPresets.cuts(20, 4, false, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CutPresets.cuts(32, 3, true, false));
        assertTrue(e.getMessage().contains("ResNet-110"), e.getMessage());
    }
}
