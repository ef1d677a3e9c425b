package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.engine.ModelProvenance;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code infopro train}, {@code --resume} and {@code eval} on the embedded Fashion-MNIST subset. */
class TrainCommandTest {
    private static final String[] RUN = {"train", "--arch", "resnet8", "--method", "infopro-contrast", "--k", "2",
            "--epochs", "2", "--batch", "64", "--train-subset", "256", "--test-subset", "200", "--lr", "0.05",
            "--json"};

    private static String[] with(String... extra) {
        return Stream.concat(Stream.of(RUN), Stream.of(extra)).toArray(String[]::new);
    }

    @Test
    void trainWritesItsOutputsAndResumeContinuesExactly(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        assertEquals("0", CliUsageTest.run(with("--out", a.toString()))[0]);
        for (String f : new String[]{"metrics.json", "curves.png", "local-model.zip", "model.zip", "run-args.json"}) {
            assertTrue(Files.size(a.resolve(f)) > 0, f);
        }
        JsonNode metrics = Json.MAPPER.readTree(a.resolve("metrics.json").toFile());
        assertEquals(2, metrics.get("epochs").size());
        assertEquals(2, metrics.get("epochs").get(0).get("module_train_loss").size(), "one loss per module");
        ModelProvenance provenance = ModelProvenance.read(a.resolve("model.zip").toFile());
        assertEquals(2, provenance.getEpochs(), "model.zip says how it was trained");
        assertEquals(2, provenance.getK());
        assertEquals("ComputationGraph", provenance.getNetwork());
        assertEquals(List.of("checkpoint-e0001-i000004.zip", "checkpoint-e0002-i000008.zip"), list(a.resolve("checkpoints")));

        // the same run, "killed" after epoch 1: drop what epoch 2 wrote, then --resume
        assertEquals("0", CliUsageTest.run(with("--out", b.toString()))[0]);
        Files.delete(b.resolve("checkpoints/checkpoint-e0002-i000008.zip"));
        Files.delete(b.resolve("model.zip"));
        String[] resumed = CliUsageTest.run("train", "--resume", b.toString(), "--json");
        assertEquals("0", resumed[0], resumed[1]);

        ComputationGraph ga = ModelSerializer.restoreComputationGraph(a.resolve("model.zip").toFile(), false);
        ComputationGraph gb = ModelSerializer.restoreComputationGraph(b.resolve("model.zip").toFile(), false);
        assertEquals(0.0, ga.params().sub(gb.params()).amaxNumber().doubleValue(), 1e-6,
                "resumed run ends with the parameters of the uninterrupted run");
        JsonNode mb = Json.MAPPER.readTree(b.resolve("metrics.json").toFile());
        assertEquals(metrics.get("test_accuracy").asDouble(), mb.get("test_accuracy").asDouble(), 0);
        assertEquals(2, mb.get("epochs").size(), "metrics of epoch 1 come back from the checkpoint");

        // eval reads both model files (on the whole embedded test set) and they agree: same backbone, same weights
        double[] accuracy = new double[2];
        String[] models = {"model.zip", "local-model.zip"};
        for (int i = 0; i < 2; i++) {
            String[] r = CliUsageTest.run("eval", "--model", a.resolve(models[i]).toString(), "--json");
            assertEquals("0", r[0], r[1]);
            JsonNode e = Json.MAPPER.readTree(r[2]);
            assertEquals(1000, e.get("examples").asInt(), "the embedded test set");
            accuracy[i] = e.get("test_accuracy").asDouble();
        }
        assertEquals(accuracy[0], accuracy[1], 0);
        String[] bad = CliUsageTest.run("eval", "--model", a.resolve("metrics.json").toString());
        assertEquals("2", bad[0], bad[1]);
        assertTrue(bad[1].contains("is not a model zip"), bad[1]);
    }

    @Test
    void pipelinedTrainingCheckpointsAndResumesExactly(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("uninterrupted");
        Path c = tmp.resolve("resumed");
        assertEquals("0", CliUsageTest.run(with("--out", a.toString(), "--pipeline"))[0]);
        assertEquals("0", CliUsageTest.run(with("--out", c.toString(), "--pipeline"))[0]);
        assertEquals(List.of("checkpoint-e0001-i000004.zip", "checkpoint-e0002-i000008.zip"),
                list(c.resolve("checkpoints")));
        Files.delete(c.resolve("checkpoints/checkpoint-e0002-i000008.zip"));
        Files.delete(c.resolve("model.zip"));
        String[] resumed = CliUsageTest.run("train", "--resume", c.toString(), "--json");
        assertEquals("0", resumed[0], resumed[1]);
        ComputationGraph ga = ModelSerializer.restoreComputationGraph(a.resolve("model.zip").toFile(), false);
        ComputationGraph gc = ModelSerializer.restoreComputationGraph(c.resolve("model.zip").toFile(), false);
        assertEquals(0.0, ga.params().sub(gc.params()).amaxNumber().doubleValue(), 1e-6,
                "the resumed pipelined run ends with the parameters of the uninterrupted one");
        JsonNode ma = Json.MAPPER.readTree(a.resolve("metrics.json").toFile());
        JsonNode mc = Json.MAPPER.readTree(c.resolve("metrics.json").toFile());
        assertEquals(ma.get("test_accuracy").asDouble(), mc.get("test_accuracy").asDouble(), 0);
        String[] bad = CliUsageTest.run(with("--out", tmp.resolve("bad").toString(), "--pipeline=-1"));
        assertEquals("2", bad[0], bad[1]);
        assertTrue(bad[1].contains("--pipeline DEPTH must be >= 1"), bad[1]);
    }

    private static List<String> list(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".zip")).sorted().toList();
        }
    }

}
