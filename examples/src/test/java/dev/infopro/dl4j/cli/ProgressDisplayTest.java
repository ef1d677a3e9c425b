package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.training.EpochResult;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Off a terminal the progress display prints one plain line per epoch and nothing per iteration. */
class ProgressDisplayTest {
    @Test
    void onePlainLinePerEpochOffATerminal() {
        EpochResult epoch = new EpochResult(2, new double[]{4.1234, 0.9876}, 0.6125, 12.34, 1L << 28);
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            ProgressDisplay display = new ProgressDisplay("greedy K=2", 3, 10, true, false);
            display.onEpochStart(null, 1);
            display.onIteration(null, 1, 0, new double[]{4.0, 1.0});
            display.onEpochResult(null, epoch);
        } finally {
            System.setErr(saved);
        }
        assertEquals("greedy K=2 epoch 2/3: loss m1=4.123 m2=0.988, test accuracy 0.6125, 12.3 s"
                + System.lineSeparator(), captured.toString(StandardCharsets.UTF_8));
    }

    @Test
    void stderrOfTheTestsIsNoTerminal() {
        assumeTrue(Files.exists(Path.of("/proc/self/fd/2")), "Linux's /proc tells where stderr goes");
        assertFalse(Screen.stderrMayBeTerminal(), "Surefire collects stderr through a pipe or file");
    }
}
