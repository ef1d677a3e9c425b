package dev.infopro.dl4j.examples;

import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.data.Datasets;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End-to-end training on real Fashion-MNIST images (the embedded subset, taken from the real files): InfoPro
 * (Contrast) with K = 2 must learn far above chance (10%) in two short epochs on 2,000 images, and the deployed
 * plain graph must classify exactly like the local model.
 */
class QuickStartTest {
    @Test
    void infoProContrastLearnsFashionMnist() throws Exception {
        LocalModuleGraph local = QuickStart.train(2000, 2);
        double localAccuracy;
        double plainAccuracy;
        try (ImageDataSetIterator test = Datasets.loadEmbeddedFashionMnist().testIterator(256)) {
            localAccuracy = local.evaluate(test).accuracy();
            plainAccuracy = local.toComputationGraph().evaluate(test).accuracy();
        }
        assertTrue(localAccuracy > 0.55, "test accuracy " + localAccuracy + " should be far above chance (0.10)");
        assertEquals(localAccuracy, plainAccuracy, 0, "toComputationGraph() classifies like the local model");
        // the drop-in took everything it was not given from the network and the data
        assertEquals(Datasets.loadEmbeddedFashionMnist().getNormalization(), local.getConfig().getNormalization(),
                "normalisation read from the training iterator");
        assertEquals(LambdaSchedule.referenceDefault(2), local.getConfig().getLambdas());
        assertEquals(InputType.convolutional(28, 28, 1), local.getConfig().getInputTypes()[0]);
    }
}
