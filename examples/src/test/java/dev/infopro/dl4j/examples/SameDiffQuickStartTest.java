package dev.infopro.dl4j.examples;

import dev.infopro.dl4j.data.Datasets;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.samediff.SameDiffLocalModel;
import dev.infopro.dl4j.samediff.SameDiffNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps docs/samediff.md's example running: the SameDiff quick start, in its own setting, learns above chance on
 * real images, and its exported plain graph predicts what the local model does.
 */
class SameDiffQuickStartTest {
    @Test
    void sameDiffQuickStartTrainsAndExports() throws Exception {
        SameDiffLocalModel local = SameDiffQuickStart.train(2000, 2);
        assertEquals(2 * 63, local.getIteration(), "2,000 images in batches of 32, two epochs");
        INDArray x;
        double accuracy;
        try (ImageDataSetIterator test = Datasets.loadEmbeddedFashionMnist().testIterator(256)) {
            x = test.next().getFeatures();
            test.reset();
            accuracy = local.evaluate(test).accuracy();
        }
        assertTrue(accuracy > 0.25, "test accuracy " + accuracy + " should be above chance (0.10)");
        INDArray exported = local.toSameDiff().output(Map.of(SameDiffNetwork.INPUT, x), "prediction")
                .get("prediction");
        INDArray expected = local.output(x);
        assertEquals(0.0, exported.sub(expected).amaxNumber().doubleValue(), 1e-5,
                "the exported graph predicts like the local model");
    }
}
