package dev.infopro.dl4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.shade.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code infopro train --engine samediff} on a tiny subset of the embedded Fashion-MNIST, and what it rejects. */
class SameDiffTrainCommandTest {

    @Test
    void trainsAResNetAsSameDiffModulesAndWritesMetrics(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("sd");
        String[] r = CliUsageTest.run("train", "--engine", "samediff", "--arch", "resnet8", "--method",
                "infopro-contrast", "--k", "2", "--epochs", "1", "--batch", "32", "--train-subset", "64",
                "--test-subset", "64", "--lr", "0.05", "--json", "--out", out.toString());
        assertEquals("0", r[0], r[1]);
        JsonNode metrics = Json.MAPPER.readTree(out.resolve("metrics.json").toFile());
        assertEquals(2, metrics.get("k").asInt());
        assertEquals(1, metrics.get("epochs").size());
        JsonNode epoch = metrics.get("epochs").get(0);
        assertEquals(2, epoch.get("module_train_loss").size(), "one loss per module");
        assertEquals(2, epoch.get("iteration_module_loss").size(), "64 images in batches of 32");
        for (JsonNode loss : epoch.get("module_train_loss")) {
            assertTrue(Double.isFinite(loss.asDouble()) && loss.asDouble() > 0, "loss " + loss);
        }
        double accuracy = metrics.get("test_accuracy").asDouble();
        assertTrue(accuracy >= 0 && accuracy <= 1, "accuracy " + accuracy);
        assertEquals(accuracy, Json.MAPPER.readTree(r[2]).get("test_accuracy").asDouble(), 0, "--json prints it");
        assertTrue(Files.size(out.resolve("curves.png")) > 0);
        assertTrue(Files.size(out.resolve(SameDiffTraining.STATE_FILE)) > 0);
        SameDiff plain = SameDiff.load(out.resolve(SameDiffTraining.MODEL_FILE).toFile(), true);
        assertTrue(plain.hasVariable("prediction"), "the exported network has its output");
        assertTrue(plain.variables().stream().noneMatch(v -> v.name().startsWith("m0h")), "no heads exported");
        assertTrue(Files.isRegularFile(out.resolve(TrainCommand.ARGS_FILE)));
    }

    @Test
    void unsupportedCombinationsAreUsageErrors(@TempDir Path tmp) {
        String out = tmp.resolve("x").toString();
        CliUsageTest.assertUsageError("has no SameDiff form", "train", "--engine", "samediff", "--arch",
                "zoo:squeezenet", "--out", out);
        CliUsageTest.assertUsageError("--pipeline is not supported with --engine samediff", "train", "--engine",
                "samediff", "--arch", "resnet8", "--pipeline", "--out", out);
        CliUsageTest.assertUsageError("--spark is not supported with --engine samediff", "train", "--engine",
                "samediff", "--arch", "resnet8", "--spark", "local[1]", "--out", out);
        CliUsageTest.assertUsageError("--engine must be dl4j or samediff, got tf", "train", "--engine", "tf",
                "--arch", "resnet8", "--out", out);
    }
}
