package dev.infopro.dl4j.cli;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code infopro train --spark local[2]}: outputs, checkpoints after averaging rounds, and exact resume. */
class SparkTrainCommandTest {
    private static final String[] RUN = {"train", "--spark", "local[2]", "--arch", "resnet8", "--method",
            "infopro-contrast", "--k", "2", "--epochs", "2", "--batch", "32", "--train-subset", "256",
            "--test-subset", "100", "--lr", "0.05", "--checkpoint-rounds", "2", "--keep-checkpoints", "4", "--json"};

    @Test
    void trainsOnSparkAndResumesMidEpochExactly(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a");
        String[] r = CliUsageTest.run(Stream.concat(Stream.of(RUN), Stream.of("--out", a.toString()))
                .toArray(String[]::new));
        assertEquals("0", r[0], r[1]);
        JsonNode metrics = Json.MAPPER.readTree(a.resolve("metrics.json").toFile());
        assertEquals(2, metrics.get("epochs").size());
        assertEquals(4, metrics.get("epochs").get(0).get("iteration_module_loss").size(),
                "128 images per worker, batch 32: 4 rounds per epoch, one loss row per round");
        // 4 rounds per epoch: a checkpoint after round 2 of each epoch and one at each epoch's end
        assertEquals(List.of("checkpoint-e0000-i000002.zip", "checkpoint-e0001-i000004.zip",
                "checkpoint-e0001-i000006.zip", "checkpoint-e0002-i000008.zip"), list(a.resolve("checkpoints")));

        // "killed" in the middle of epoch 2: only its mid-epoch checkpoint survives, then --resume
        Path b = tmp.resolve("b");
        Files.createDirectories(b.resolve("checkpoints"));
        Files.copy(a.resolve(TrainCommand.ARGS_FILE), b.resolve(TrainCommand.ARGS_FILE));
        String mid = "checkpoint-e0001-i000006.zip"; // written after round 2 of epoch 2
        Files.copy(a.resolve("checkpoints").resolve(mid), b.resolve("checkpoints").resolve(mid));
        String[] resumed = CliUsageTest.run("train", "--resume", b.toString(), "--json");
        assertEquals("0", resumed[0], resumed[1]);
        assertEquals(List.of(mid, "checkpoint-e0002-i000008.zip"), list(b.resolve("checkpoints")));
        ComputationGraph ga = ModelSerializer.restoreComputationGraph(a.resolve("model.zip").toFile(), false);
        ComputationGraph gb = ModelSerializer.restoreComputationGraph(b.resolve("model.zip").toFile(), false);
        assertEquals(0.0, ga.params().sub(gb.params()).amaxNumber().doubleValue(), 0.0,
                "resumed after an averaging round, it ends with the uninterrupted run's parameters");
        assertEquals(metrics.get("test_accuracy").asDouble(),
                Json.MAPPER.readTree(b.resolve("metrics.json").toFile()).get("test_accuracy").asDouble(), 0);
    }

    @Test
    void badAveragingSettingsAreUsageErrors() {
        CliUsageTest.assertUsageError("--averaging-frequency", "train", "--spark", "local[2]",
                "--averaging-frequency", "0", "--out", "x");
    }

    private static List<String> list(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("checkpoint-")).sorted()
                    .collect(Collectors.toList());
        }
    }
}
