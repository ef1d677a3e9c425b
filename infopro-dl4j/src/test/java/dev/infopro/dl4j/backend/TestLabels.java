package dev.infopro.dl4j.backend;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Labels for the backend's small training tests. */
final class TestLabels {
    private TestLabels() {
    }

    /**
     * One-hot labels over three classes, row {@code i} in class {@code (i + seed) % 3}: every class occurs in a batch
     * of three rows or more, and batches of different seeds differ. Draws nothing from ND4J's random generator.
     */
    static INDArray threeClasses(DataType type, int rows, int seed) {
        INDArray y = Nd4j.zeros(type, rows, 3);
        for (int i = 0; i < rows; i++) {
            y.putScalar(i, (i + seed) % 3, 1.0);
        }
        return y;
    }
}
