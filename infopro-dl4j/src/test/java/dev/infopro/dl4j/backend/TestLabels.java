package dev.infopro.dl4j.backend;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.util.FeatureUtil;

import java.util.stream.IntStream;

/** Labels for the backend's small training tests. */
final class TestLabels {
    private TestLabels() {
    }

    /**
     * One-hot labels over three classes, row {@code i} in class {@code (i + seed) % 3}: every class occurs in a batch
     * of three rows or more, and batches of different seeds differ. Draws nothing from ND4J's random generator.
     */
    static INDArray threeClasses(DataType type, int rows, int seed) {
        int[] classes = IntStream.range(0, rows).map(i -> (i + seed) % 3).toArray();
        return FeatureUtil.toOutcomeMatrix(classes, 3).castTo(type);
    }
}
