package dev.infopro.dl4j.backend;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinearDerivative;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link DirectRelu} against libnd4j's {@code RectifiedLinearDerivative}: the same values wherever both arrays hold
 * numbers (exact zeros and negative zeros included), a NaN gradient kept where libnd4j's op drops it, and the
 * gradient passed through where the ReLU's output is NaN (libnd4j's op gives 0 there).
 */
class DirectReluTest {

    @BeforeAll
    static void oneDnn() {
        Nd4j.create(1);
        assumeTrue(OneDnn.available(), "oneDNN's own library did not load on this platform");
    }

    @ParameterizedTest
    @ValueSource(ints = {1000, 100003})
    void equalsLibnd4jsOpWhereTheGradientIsANumber(int length) {
        Random r = new Random(length);
        float[] y = new float[length];
        float[] dy = new float[length];
        for (int k = 0; k < length; k++) {
            y[k] = special(r, (float) r.nextGaussian());
            dy[k] = special(r, (float) r.nextGaussian());
        }
        INDArray yArr = Nd4j.createFromArray(y);
        INDArray dyArr = Nd4j.createFromArray(dy);
        INDArray expected = Nd4j.createUninitialized(DataType.FLOAT, length);
        Nd4j.exec(new RectifiedLinearDerivative(yArr, dyArr, expected));
        INDArray actual = Nd4j.createUninitialized(DataType.FLOAT, length);
        assertTrue(DirectRelu.backward(yArr, dyArr, actual));
        int nanKept = 0;
        for (int k = 0; k < length; k++) {
            float e = expected.getFloat(k);
            float a = actual.getFloat(k);
            String at = "element " + k + " (y = " + y[k] + ", dy = " + dy[k] + ")";
            if (y[k] > 0 || Float.isNaN(y[k])) { // oneDNN passes dy through where y is NaN, libnd4j's op gives 0
                assertEquals(Float.floatToRawIntBits(dy[k]), Float.floatToRawIntBits(a), at + ": dy itself");
            } else if (Float.isNaN(dy[k])) {
                assertTrue(Float.isNaN(a), at + ": a NaN gradient stays NaN");
                nanKept++;
            } else {
                assertTrue(e == a, at + ": " + e + " vs " + a); // 0 and -0 compare equal
            }
        }
        assertTrue(nanKept > 0, "the data has NaN gradients where y <= 0");
    }

    @Test
    void leavesWhatItDoesNotTakeToTheCaller() {
        INDArray d = Nd4j.rand(DataType.DOUBLE, 10);
        assertFalse(DirectRelu.backward(d, d, d.ulike()), "double");
        INDArray f = Nd4j.rand(DataType.FLOAT, 4, 6);
        assertFalse(DirectRelu.backward(f, f.transpose(), Nd4j.createUninitialized(DataType.FLOAT, 6, 4)),
                "a transposed view is not dense in C order");
    }

    private static float special(Random r, float v) {
        switch (r.nextInt(20)) {
            case 0:
                return 0f;
            case 1:
                return -0f;
            case 2:
                return Float.NaN;
            default:
                return v;
        }
    }
}
