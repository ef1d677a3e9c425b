package dev.infopro.dl4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code infopro compare}: every configuration in its own JVM, one results row each, a table and a chart. */
class CompareCommandTest {
    @Test
    void comparesMethodsAndWritesResults(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("cmp");
        String[] r = CliUsageTest.run("compare", "--arch", "resnet8", "--methods", "e2e,greedy", "--ks", "2",
                "--train-subset", "128", "--test-subset", "100", "--batch", "64", "--out", out.toString(), "--json");
        assertEquals("0", r[0], r[1]);
        JsonNode rows = Json.MAPPER.readTree(out.resolve("results.json").toFile());
        assertEquals(2, rows.size());
        assertEquals("e2e", rows.get(0).get("method").asText());
        assertEquals(1, rows.get(0).get("k").asInt());
        assertEquals("greedy", rows.get(1).get("method").asText());
        assertEquals(2, rows.get(1).get("k").asInt());
        for (JsonNode row : rows) {
            double acc = row.get("test_accuracy").asDouble();
            assertTrue(acc >= 0 && acc <= 1, "accuracy in [0, 1]: " + acc);
            assertTrue(row.get("peak_bytes").asLong() > 0, "peak memory measured");
            assertTrue(row.get("seconds_per_epoch").asDouble() > 0);
        }
        assertEquals(Json.MAPPER.readTree(r[2]), rows, "--json prints results.json");
        String table = Files.readString(out.resolve("results.md"));
        assertTrue(table.startsWith("| method | K | test accuracy | peak memory (MiB, RSS) | seconds / epoch |"), table);
        assertEquals(4, table.strip().split("\n").length, "header, rule and one line per run");
        assertTrue(Files.size(out.resolve("accuracy.png")) > 1000);
        assertTrue(Files.size(out.resolve("memory.png")) > 1000);
        assertTrue(Files.exists(out.resolve("greedy-k2/model.zip")));
    }

    @Test
    void comparesOnTheSameDiffEngine(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("sd");
        String[] r = CliUsageTest.run("compare", "--engine", "samediff", "--arch", "resnet8", "--methods",
                "e2e,infopro-contrast", "--ks", "2", "--train-subset", "64", "--test-subset", "64", "--batch", "32",
                "--out", out.toString(), "--json");
        assertEquals("0", r[0], r[1]);
        JsonNode rows = Json.MAPPER.readTree(out.resolve("results.json").toFile());
        assertEquals(2, rows.size());
        assertEquals("infopro-contrast", rows.get(1).get("method").asText());
        assertEquals(2, rows.get(1).get("k").asInt());
        for (String run : new String[]{"e2e", "infopro-contrast-k2"}) {
            assertTrue(Files.exists(out.resolve(run).resolve("samediff-model.fb")), run + " ran on SameDiff");
            assertTrue(!Files.exists(out.resolve(run).resolve("model.zip")), run + " did not run on DL4J");
        }
        String[] bad = CliUsageTest.run("compare", "--engine", "tensorflow", "--out", tmp.resolve("x").toString());
        assertEquals("2", bad[0]);
        assertTrue(bad[1].contains("--engine must be dl4j or samediff, got tensorflow"), bad[1]);
    }

    @Test
    void theEngineReachesTheTrainArguments() {
        ExperimentSpec spec = ExperimentSpec.builder().data("fashion-mnist").depth(8).method(Method.E2E).k(1)
                .epochs(1).batch(32).lr(0.1).recipe("paper-cifar10").build();
        assertTrue(!spec.toTrainArgs().contains("--engine"), "the default engine is not spelled out");
        java.util.List<String> sd = spec.toBuilder().engine("samediff").build().toTrainArgs();
        assertEquals("samediff", sd.get(sd.indexOf("--engine") + 1));
    }
}
