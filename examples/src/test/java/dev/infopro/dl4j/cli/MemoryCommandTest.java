package dev.infopro.dl4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static dev.infopro.dl4j.cli.CliUsageTest.assertUsageError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code infopro memory --engine dl4j|samediff} on a tiny ResNet-8 (1x16x16, batch 8, one step), each K in its own
 * JVM: the rows' figures, what the SameDiff engine leaves out (no estimate, no ND4J counters), its memory limit for
 * {@code --max-batch}, and the combinations it refuses.
 */
class MemoryCommandTest {
    private static final String[] TINY = {"memory", "--arch", "resnet8", "--input", "1x16x16", "--batch", "8",
            "--steps", "1"};

    private static String[] tiny(String... more) {
        List<String> args = new ArrayList<>(List.of(TINY));
        args.addAll(List.of(more));
        return CliUsageTest.run(args.toArray(new String[0]));
    }

    private static List<JsonNode> rows(String stdout) throws Exception {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : stdout.strip().split("\\R")) {
            rows.add(Json.MAPPER.readTree(line));
        }
        return rows;
    }

    @Test
    void sameDiffEngineMeasuresEveryKInItsOwnJvm(@TempDir Path tmp) throws Exception {
        Path chart = tmp.resolve("mem.png");
        String[] r = tiny("--engine", "samediff", "--k", "1,2", "--json", "--chart", chart.toString());
        assertEquals("0", r[0], r[1]);
        List<JsonNode> rows = rows(r[2]);
        assertEquals(2, rows.size(), r[2]);
        long[] peaks = new long[2];
        for (int i = 0; i < 2; i++) {
            JsonNode row = rows.get(i);
            assertEquals(i + 1, row.get("k").asInt());
            assertEquals("samediff", row.get("engine").asText());
            assertEquals(8, row.get("batch").asInt());
            peaks[i] = row.get("measured_peak_bytes").asLong();
            assertTrue(peaks[i] > 0, "a step adds memory: " + row);
            // the same quantity as the DL4J path: the process's RSS high-water mark above the baseline
            assertEquals(row.get("peak_rss_bytes").asLong() - row.get("baseline_rss_bytes").asLong(), peaks[i]);
            assertEquals(1, row.get("step_peak_bytes").size(), "one step");
            assertEquals(peaks[i], row.get("step_peak_bytes").get(0).asLong(), "one step holds the whole peak");
            // no estimator for SameDiff graphs, and ND4J's counters are only seen between steps: null, not a number
            assertTrue(row.get("estimated_bytes").isNull(), row.toString());
            assertTrue(row.get("peak_nd4j_bytes").isNull(), row.toString());
            assertTrue(row.get("step_ms").asDouble() > 0);
        }
        assertEquals("e2e", rows.get(0).get("method").asText());
        assertEquals(0, rows.get(0).get("cuts").size());
        assertEquals(1.0, rows.get(0).get("ratio_to_e2e").asDouble(), 0);
        assertEquals("infopro-contrast", rows.get(1).get("method").asText());
        assertEquals(List.of("s1b0"), MemoryCommand.cutsFor(8, 2, false), "the preset cut of ResNet-8, K = 2");
        assertEquals("s1b0", rows.get(1).get("cuts").get(0).asText());
        assertEquals(1, rows.get(1).get("cuts").size());
        assertEquals(Math.round(1000.0 * peaks[1] / peaks[0]) / 1000.0, rows.get(1).get("ratio_to_e2e").asDouble(), 0);
        assertTrue(Files.size(chart) > 1000, "the chart is written without the missing series");
    }

    @Test
    void textRowsPrintAnEstimateOnlyWhereThereIsOne() {
        String[] dl4j = tiny("--engine", "dl4j", "--k", "1");
        assertEquals("0", dl4j[0], dl4j[1]);
        assertTrue(Pattern.compile("^K=1 +measured +\\d+\\.\\d MiB +estimated +\\d+\\.\\d MiB +ratio 1\\.0 +step"
                + " [\\d.]+ ms +cuts \\[]$").matcher(dl4j[2].strip()).matches(), dl4j[2]);
        String[] sd = tiny("--engine", "samediff", "--k", "1");
        assertEquals("0", sd[0], sd[1]);
        assertTrue(Pattern.compile("^K=1 +measured +\\d+\\.\\d MiB +estimated +n/a +ratio 1\\.0 +step [\\d.]+ ms"
                + " +cuts \\[]$").matcher(sd[2].strip()).matches(), sd[2]);
    }

    @Test
    void sameDiffMaxBatchHonoursTheLimit() throws Exception {
        // 1 MiB is less than any step adds, so every batch down to 1 is over the limit (checked after the step)
        String[] r = tiny("--engine", "samediff", "--k", "1", "--max-batch", "--limit", "1m", "--json");
        assertEquals("0", r[0], r[1]);
        JsonNode row = rows(r[2]).get(0);
        assertEquals(0, row.get("max_batch").asInt(), row.toString());
        assertEquals(1, row.get("first_failing_batch").asInt(), row.toString());
        assertEquals(1L << 20, row.get("limit_bytes").asLong());
    }

    @Test
    void sameDiffRefusesWhatItCannotMeasure() {
        assertUsageError("--engine must be dl4j or samediff, got tf", "memory", "--engine", "tf");
        assertUsageError("--engine samediff measures the CIFAR ResNets (--arch resnetN); zoo:ResNet50 has no SameDiff"
                + " form: use --engine dl4j", "memory", "--engine", "samediff", "--arch", "zoo:ResNet50");
        assertUsageError("--balanced picks the cuts with DL4J's memory estimator, which does not model SameDiff graphs:"
                + " drop --balanced for the preset cuts, or use --engine dl4j", "memory", "--engine", "samediff",
                "--balanced");
        assertUsageError("the SameDiff trainer always releases after each module: use --engine dl4j", "memory",
                "--engine", "samediff", "--no-trim");
        assertUsageError("at most 4 modules", "memory", "--engine", "samediff", "--arch", "resnet8", "--k", "1,9");
    }
}
