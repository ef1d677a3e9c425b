package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.models.CifarResNet;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Data that does not fit the network is rejected before training, with a message that says what differs. */
class InputValidationTest {
    private static LocalModuleGraph local;

    @BeforeAll
    static void build() {
        local = LocalModuleGraph.builder(CifarResNet.builder().depth(8).channels(3).height(8).width(8).numClasses(4)
                        .build().init())
                .inputTypes(InputType.convolutional(8, 8, 3)).cutAfter("s1b0").method(LocalLearning.greedy()).build();
    }

    private static INDArray oneHot(int n, int classes, int column) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, classes);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, column >= 0 ? column : i % classes, 1f);
        }
        return y;
    }

    private static String fail(INDArray x, INDArray y) {
        return assertThrows(IllegalArgumentException.class, () -> local.fit(new DataSet(x, y))).getMessage();
    }

    @Test
    void channelCountMismatch() {
        String m = fail(Nd4j.rand(DataType.FLOAT, 2, 1, 8, 8), oneHot(2, 4, -1));
        assertTrue(m.contains("expected [batch, 3, 8, 8] (NCHW) but got [2, 1, 8, 8]"), m);
        assertTrue(m.contains("channel count"), m);
    }

    @Test
    void classCountMismatch() {
        String m = fail(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8), oneHot(2, 10, -1));
        assertEquals("The data has 10 classes but the network has 4: use a network whose output layer has nOut = 10,"
                + " or data with 4 classes", m);
    }

    @Test
    void labelsOutsideTheClassRangeOrOfTheWrongShape() {
        INDArray y = oneHot(2, 4, -1);
        y.getRow(1).assign(0); // e.g. class index 7 one-hot encoded over 4 columns
        String m = fail(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8), y);
        assertTrue(m.contains("A class index outside [0, 3] gives an all-zero row"), m);
        m = fail(Nd4j.rand(DataType.FLOAT, 3, 3, 8, 8), oneHot(2, 4, -1));
        assertTrue(m.startsWith("Labels must be one row per example, [3, numClasses], got [2, 4]"), m);
    }

    @Test
    void aValidBatchTrains() {
        double[] scores = local.fit(new DataSet(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8), oneHot(2, 4, -1)));
        assertEquals(2, scores.length);
        assertTrue(Double.isFinite(scores[0]) && Double.isFinite(scores[1]));
    }
}
