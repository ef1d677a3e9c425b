package dev.infopro.dl4j;

import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Array assertions shared by the tests. */
public final class TestArrays {
    private TestArrays() {
    }

    /** Same shape and every entry within {@code tol}, relative to the larger of 1 and the expected magnitude. */
    public static void assertClose(INDArray expected, INDArray actual, double tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        double scale = Math.max(1.0, expected.amaxNumber().doubleValue());
        assertTrue(diff <= tol * scale, what + ": max abs diff " + diff);
    }
}
