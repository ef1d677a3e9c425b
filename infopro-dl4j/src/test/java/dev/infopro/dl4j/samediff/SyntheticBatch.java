package dev.infopro.dl4j.samediff;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** A batch of random one-channel square images with one-hot labels {@code i % classes}, for the SameDiff tests. */
final class SyntheticBatch {
    private SyntheticBatch() {
    }

    /** {@code n} images of {@code side x side} pixels in [0, 1), drawn after seeding ND4J's generator. */
    static DataSet of(DataType dt, int n, int side, int classes, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.rand(dt, n, 1, side, side);
        INDArray y = Nd4j.zeros(dt, n, classes);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, i % classes, 1.0);
        }
        return new DataSet(x, y);
    }
}
