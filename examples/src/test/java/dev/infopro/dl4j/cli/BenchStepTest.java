package dev.infopro.dl4j.cli;

import org.junit.jupiter.api.Test;
import org.nd4j.shade.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code infopro bench step} on a tiny ResNet-8: every timed step is reported, and the median and minimum are theirs.
 */
class BenchStepTest {
    private static final String[] TINY = {"bench", "step", "--arch", "resnet8", "--input", "1x8x8", "--batch", "4",
            "--steps", "3", "--warmup", "1", "--method", "infopro-contrast", "--k", "2"};

    @Test
    void jsonReportsEveryStep() throws Exception {
        List<String> args = new ArrayList<>(List.of(TINY));
        args.add("--json");
        String[] r = CliUsageTest.run(args.toArray(new String[0]));
        assertEquals("0", r[0], r[1]);
        JsonNode row = Json.MAPPER.readTree(r[2].strip());
        assertEquals(3, row.get("steps").asInt());
        JsonNode steps = row.get("step_ms");
        assertEquals(3, steps.size(), row.toString());
        List<Double> ms = new ArrayList<>();
        steps.forEach(t -> ms.add(t.asDouble()));
        Collections.sort(ms);
        assertTrue(ms.get(0) > 0, row.toString());
        assertEquals(ms.get(0), row.get("min_step_ms").asDouble(), 0.11, "the fastest step, rounded");
        assertEquals(ms.get(1), row.get("median_step_ms").asDouble(), 0.11, "the middle one of three, rounded");
        assertEquals(2, row.get("final_scores").size(), "one loss per module");
        // HotSpot counts its compilers' time, so the field is a count of milliseconds, not the -1 of "not counted"
        assertTrue(row.get("jit_compile_ms").isIntegralNumber() && row.get("jit_compile_ms").asLong() >= 0,
                row.toString());
    }

    @Test
    void textPrintsArraysAsNumbers() {
        String[] r = CliUsageTest.run(TINY);
        assertEquals("0", r[0], r[1]);
        assertTrue(r[2].contains("step_ms"), r[2]);
        assertFalse(r[2].contains("[D@"), "arrays printed as numbers, not object names: " + r[2]);
    }
}
