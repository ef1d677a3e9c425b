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
}
