package dev.infopro.dl4j.examples;

import dev.infopro.dl4j.data.Datasets;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.samediff.SameDiffLocalModel;
import dev.infopro.dl4j.samediff.SameDiffNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.File;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps docs/samediff.md's graph example running: a user's SameDiff graph saved to a file, loaded, cut by variable
 * name and trained locally, learns above chance on real images, and its exported plain graph predicts what the local
 * model does.
 */
class SameDiffGraphQuickStartTest {
    @Test
    void usersGraphTrainsLocallyAndExports(@TempDir Path tmp) throws Exception {
        File file = tmp.resolve("user-model.fb").toFile();
        SameDiffGraphQuickStart.userGraph(42).save(file, true);
        SameDiffLocalModel local = SameDiffGraphQuickStart.train(file, 2000, 2);
        assertEquals(2 * 63, local.getIteration(), "2,000 images in batches of 32, two epochs");
        assertEquals(2, local.getTrainers().size());
        INDArray x;
        double accuracy;
        try (ImageDataSetIterator test = Datasets.loadEmbeddedFashionMnist().testIterator(256)) {
            x = test.next().getFeatures();
            test.reset();
            accuracy = local.evaluate(test).accuracy();
        }
        assertTrue(accuracy > 0.25, "test accuracy " + accuracy + " should be above chance (0.10)");
        SameDiff plain = local.toSameDiff();
        INDArray exported = plain.output(Map.of(SameDiffNetwork.INPUT, x), SameDiffNetwork.PREDICTION)
                .get(SameDiffNetwork.PREDICTION);
        assertEquals(0.0, exported.sub(local.output(x)).amaxNumber().doubleValue(), 1e-5,
                "the exported graph predicts like the local model");
    }
}
