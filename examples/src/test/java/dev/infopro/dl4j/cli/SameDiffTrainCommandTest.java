package dev.infopro.dl4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.shade.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code infopro train --engine samediff} on a tiny subset of the embedded Fashion-MNIST, and what it rejects. */
class SameDiffTrainCommandTest {

    private static final String[] RUN = {"train", "--engine", "samediff", "--arch", "resnet8", "--method",
            "infopro-contrast", "--k", "2", "--epochs", "2", "--batch", "32", "--train-subset", "64",
            "--test-subset", "64", "--lr", "0.05", "--json", "--out"};

    private static String[] run(Path out) {
        String[] args = Arrays.copyOf(RUN, RUN.length + 1);
        args[RUN.length] = out.toString();
        return CliUsageTest.run(args);
    }

    @Test
    void trainsAResNetAsSameDiffModulesAndResumesExactly(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a");
        String[] r = run(a);
        assertEquals("0", r[0], r[1]);
        JsonNode metrics = Json.MAPPER.readTree(a.resolve("metrics.json").toFile());
        assertEquals(2, metrics.get("k").asInt());
        assertEquals(2, metrics.get("epochs").size());
        JsonNode epoch = metrics.get("epochs").get(0);
        assertEquals(2, epoch.get("module_train_loss").size(), "one loss per module");
        assertEquals(2, epoch.get("iteration_module_loss").size(), "64 images in batches of 32");
        for (JsonNode loss : epoch.get("module_train_loss")) {
            assertTrue(Double.isFinite(loss.asDouble()) && loss.asDouble() > 0, "loss " + loss);
        }
        double accuracy = metrics.get("test_accuracy").asDouble();
        assertTrue(accuracy >= 0 && accuracy <= 1, "accuracy " + accuracy);
        assertEquals(accuracy, Json.MAPPER.readTree(r[2]).get("test_accuracy").asDouble(), 0, "--json prints it");
        assertTrue(Files.size(a.resolve("curves.png")) > 0);
        assertTrue(Files.size(a.resolve(SameDiffTraining.STATE_FILE)) > 0);
        SameDiff plain = SameDiff.load(a.resolve(SameDiffTraining.MODEL_FILE).toFile(), true);
        assertTrue(plain.hasVariable("prediction"), "the exported network has its output");
        assertTrue(plain.variables().stream().noneMatch(v -> v.name().startsWith("m0h")), "no heads exported");
        assertEquals(List.of("checkpoint-e0001-i000002.zip", "checkpoint-e0002-i000004.zip"),
                list(a.resolve("checkpoints")));

        // the same run "killed" after epoch 1, then --resume: the CheckpointManager path of SameDiffLocalModel
        Path b = tmp.resolve("b");
        assertEquals("0", run(b)[0]);
        Files.delete(b.resolve("checkpoints/checkpoint-e0002-i000004.zip"));
        Files.delete(b.resolve(SameDiffTraining.MODEL_FILE));
        String[] resumed = CliUsageTest.run("train", "--resume", b.toString(), "--json");
        assertEquals("0", resumed[0], resumed[1]);
        SameDiff again = SameDiff.load(b.resolve(SameDiffTraining.MODEL_FILE).toFile(), true);
        int compared = 0;
        for (SDVariable v : plain.variables()) {
            if (v.getVariableType() == VariableType.VARIABLE || v.getVariableType() == VariableType.CONSTANT) {
                assertEquals(v.getArr(), again.getVariable(v.name()).getArr(), v.name() + " resumed vs uninterrupted");
                compared++;
            }
        }
        assertTrue(compared > 10, "parameters compared: " + compared);
        JsonNode mb = Json.MAPPER.readTree(b.resolve("metrics.json").toFile());
        assertEquals(2, mb.get("epochs").size(), "metrics of epoch 1 come back from the checkpoint");
        assertEquals(accuracy, mb.get("test_accuracy").asDouble(), 0);
        assertEquals(metrics.get("epochs").get(1).get("module_train_loss"), mb.get("epochs").get(1)
                .get("module_train_loss"), "epoch 2's losses, bit for bit");
    }

    private static List<String> list(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
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
        CliUsageTest.assertUsageError("--on-nan skip-batch is not supported with --engine samediff", "train",
                "--engine", "samediff", "--arch", "resnet8", "--on-nan", "skip-batch", "--out", out);
        CliUsageTest.assertUsageError("--engine must be dl4j or samediff, got tf", "train", "--engine", "tf",
                "--arch", "resnet8", "--out", out);
    }
}
