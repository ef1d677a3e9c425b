package dev.infopro.dl4j.examples;

import dev.infopro.dl4j.data.Datasets;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.samediff.SameDiffLocalModel;
import dev.infopro.dl4j.samediff.SameDiffNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What both SameDiff quick starts must show after their 2 epochs on 2,000 images. */
final class SameDiffExampleChecks {
    private SameDiffExampleChecks() {
    }

    /** Learned above chance on the test set, and the exported plain graph predicts what the local model does. */
    static void trainedAndExports(SameDiffLocalModel local) throws Exception {
        assertEquals(2 * 63, local.getIteration(), "2,000 images in batches of 32, two epochs");
        INDArray x;
        double accuracy;
        try (ImageDataSetIterator test = Datasets.loadEmbeddedFashionMnist().testIterator(256)) {
            x = test.next().getFeatures();
            test.reset();
            accuracy = local.evaluate(test).accuracy();
        }
        assertTrue(accuracy > 0.25, "test accuracy " + accuracy + " should be above chance (0.10)");
        INDArray exported = local.toSameDiff().output(Map.of(SameDiffNetwork.INPUT, x), SameDiffNetwork.PREDICTION)
                .get(SameDiffNetwork.PREDICTION);
        assertEquals(0.0, exported.sub(local.output(x)).amaxNumber().doubleValue(), 1e-5,
                "the exported graph predicts like the local model");
    }
}
