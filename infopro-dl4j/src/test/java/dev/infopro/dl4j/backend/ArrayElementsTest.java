package dev.infopro.dl4j.backend;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which arrays {@link ArrayElements} reads directly, and that it reads and writes the right elements. */
class ArrayElementsTest {

    @Test
    void readsAndWritesRunsInCOrderInBothTypes() {
        for (DataType type : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            INDArray a = Nd4j.arange(24).castTo(type).reshape(2, 3, 4);
            double[] run = new double[5];
            ArrayElements.of(a).read(7, run);
            assertArrayEquals(new double[]{7, 8, 9, 10, 11}, run, 0.0);
            ArrayElements.of(a).write(20, new double[]{-1.5, -2.5});
            assertEquals(-1.5, a.getDouble(1, 2, 0), 0.0);
            assertEquals(-2.5, a.getDouble(1, 2, 1), 0.0);
            assertEquals(22.0, a.getDouble(1, 2, 2), 0.0);
        }
    }

    @Test
    void denseArraysAreReadableViewsThatAreNotAreRefused() {
        INDArray a = Nd4j.rand(DataType.FLOAT, 4, 5);
        // DL4J hands batch norm a dense [N, C] input as [N, C, 1, 1]; ND4J's own default-stride check refuses it
        assertTrue(ArrayElements.readable(a.reshape('c', 4, 5, 1, 1)));
        assertFalse(ArrayElements.readable(a.transpose()), "a transposed view is not in C order");
        assertFalse(ArrayElements.readable(a.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all())), "an offset view");
        assertFalse(ArrayElements.readable(Nd4j.zeros(DataType.HALF, 4, 5)), "half precision");
        assertTrue(ArrayElements.readable(a.transpose().dup('c')));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ArrayElements.of(a.transpose()));
        assertTrue(e.getMessage().contains("dense in C order") && e.getMessage().contains("dup('c')"), e.getMessage());
    }
}
