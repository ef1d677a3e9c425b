package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.bench.ForkedJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo's code path ({@code compare}: every configuration in a child JVM) run as a user would, in a fresh JVM
 * whose output goes to files, as in CI: no DL4J/ND4J INFO messages without {@code --verbose}, plain per-epoch
 * lines instead of progress bars, the table and where the charts are, and the files it names.
 */
class QuietScreenTest {
    private static final Pattern INFO = Pattern.compile("(?m)^\\[[^]]*] INFO ");

    /** Runs the tool in a fresh JVM with only the native build selected; returns exit code, stdout, stderr. */
    private static String[] tool(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ForkedJvm.javaBinary()));
        String ext = System.getProperty("org.bytedeco.javacpp.platform.extension");
        if (ext != null) {
            cmd.add("-Dorg.bytedeco.javacpp.platform.extension=" + ext);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), InfoproCli.class.getName()));
        cmd.addAll(List.of(args));
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "tool finished");
        return new String[]{String.valueOf(p.exitValue()), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8)};
    }

    @Test
    void compareIsQuietWithoutVerboseAndWritesItsCharts(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("cmp");
        String[] r = tool(tmp, "compare", "--arch", "resnet8", "--methods", "e2e,infopro-contrast", "--ks", "2",
                "--epochs", "2", "--train-subset", "128", "--test-subset", "64", "--batch", "64",
                "--out", out.toString());
        assertEquals("0", r[0], r[2]);
        String all = r[1] + r[2];
        assertFalse(INFO.matcher(all).find(), "no INFO lines:\n" + all);
        assertFalse(all.contains("HAVE_ONEDNN") || all.contains("Backend build information"), all);
        assertFalse(all.contains("\r"), "no progress bar outside a terminal:\n" + all);
        assertTrue(r[2].contains("[1/2] e2e\n") && r[2].contains("[2/2] infopro-contrast K=2\n"), r[2]);
        for (String run : new String[]{"e2e", "infopro-contrast K=2"}) {
            for (int epoch = 1; epoch <= 2; epoch++) {
                String prefix = run + " epoch " + epoch + "/2: loss m1=";
                assertTrue(r[2].contains(prefix), "plain line '" + prefix + "...' in:\n" + r[2]);
            }
        }
        assertTrue(r[1].contains("method") && r[1].contains("test accuracy") && r[1].contains("vs e2e"), r[1]);
        assertTrue(r[1].contains(out.resolve("accuracy.png").toString()), r[1]);
        assertTrue(r[1].contains(out.resolve("memory.png").toString()), r[1]);
        for (String png : new String[]{"accuracy.png", "memory.png", "e2e/curves.png", "infopro-contrast-k2/curves.png"}) {
            BufferedImage image = ImageIO.read(out.resolve(png).toFile());
            assertNotNull(image, png);
            assertTrue(image.getWidth() >= 800 && image.getHeight() >= 500, png);
        }

        JsonNode epochs = Json.MAPPER.readTree(out.resolve("infopro-contrast-k2/metrics.json").toFile()).get("epochs");
        assertEquals(2, epochs.size());
        for (JsonNode e : epochs) {
            JsonNode iterations = e.get("iteration_module_loss");
            assertEquals(2, iterations.size(), "128 images in batches of 64");
            for (int m = 0; m < 2; m++) {
                double mean = (iterations.get(0).get(m).asDouble() + iterations.get(1).get(m).asDouble()) / 2;
                assertEquals(e.get("module_train_loss").get(m).asDouble(), mean, 1e-6 * Math.abs(mean),
                        "the epoch's mean loss is the mean of its iterations' losses");
            }
        }
    }

    @Test
    void demoOnATinySettingIsQuietAndReportsBothPartsAndTheOrderings(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("demo");
        String[] r = tool(tmp, "demo", "--arch", "resnet8", "--epochs", "2", "--train-subset", "128",
                "--memory-arch", "resnet8", "--memory-batch", "16", "--memory-steps", "1", "--out", out.toString());
        assertEquals("0", r[0], r[2]);
        String all = r[1] + r[2];
        assertFalse(INFO.matcher(all).find(), "no INFO lines:\n" + all);
        assertFalse(all.contains("HAVE_ONEDNN") || all.contains("Backend build information"), all);
        assertFalse(all.contains("\r"), "no progress bar outside a terminal:\n" + all);
        assertTrue(r[1].contains("part 1 of 2: accuracy and time, ResNet-8 on 128 Fashion-MNIST images, 2 epochs"), r[1]);
        assertTrue(r[1].contains("part 2 of 2: training memory, ResNet-8 on Fashion-MNIST, batch 16, 1 training steps"),
                r[1]);
        for (String run : new String[]{"[1/3] e2e", "[2/3] greedy K=4", "[3/3] infopro-contrast K=4",
                "[memory] e2e", "[memory] greedy K=4", "[memory] infopro-contrast K=4"}) {
            assertTrue(r[2].contains(run + "\n"), run + " in:\n" + r[2]);
        }
        assertTrue(r[2].contains("infopro-contrast K=4 epoch 2/2: loss m1="), r[2]);
        for (String row : new String[]{"e2e ", "greedy K=4 ", "infopro-contrast K=4 "}) {
            assertTrue(Pattern.compile("(?m)^" + Pattern.quote(row) + " +\\d+\\.\\d % +\\d+\\.\\d +\\d+ MiB +\\d\\.\\d\\dx$")
                    .matcher(r[1]).find(), "table row '" + row + "' in:\n" + r[1]);
        }
        assertTrue(Pattern.compile("InfoPro K=4 above Greedy SL K=4 in test accuracy: (yes|NO, not in this run) \\(")
                .matcher(r[1]).find(), r[1]);
        assertTrue(Pattern.compile("InfoPro K=4 below end-to-end in training memory: (yes|NO, not in this run) \\(")
                .matcher(r[1]).find(), r[1]);
        assertTrue(r[1].contains(out.resolve("accuracy.png").toString())
                && r[1].contains(out.resolve("memory.png").toString()), r[1]);
        for (String png : new String[]{"accuracy.png", "memory.png", "e2e/curves.png", "greedy-k4/curves.png",
                "infopro-contrast-k4/curves.png"}) {
            BufferedImage image = ImageIO.read(out.resolve(png).toFile());
            assertNotNull(image, png);
            assertTrue(image.getWidth() >= 800 && image.getHeight() >= 500, png);
        }
        JsonNode results = Json.MAPPER.readTree(out.resolve("results.json").toFile());
        assertEquals(3, results.get("runs").size());
        assertEquals(3, results.get("memory").size());
        for (JsonNode m : results.get("memory")) {
            assertEquals("fashion-mnist", m.get("data").asText(), "measured on the embedded data");
            assertTrue(m.get("measured_peak_bytes").asLong() > 0, m.toString());
        }
        assertEquals(2, results.get("runs").get(2).get("epochs").size());
        assertTrue(Files.readString(out.resolve("results.md")).startsWith("| method | K | test accuracy |"));
    }

    @Test
    void verboseShowsNd4jInfo(@TempDir Path tmp) throws Exception {
        String[] r = tool(tmp, "train", "--verbose", "--arch", "resnet8", "--method", "e2e", "--epochs", "1",
                "--train-subset", "64", "--test-subset", "32", "--batch", "64", "--out", tmp.resolve("run").toString(),
                "--json");
        assertEquals("0", r[0], r[2]);
        assertTrue(INFO.matcher(r[2]).find() && r[2].contains("INFO org.nd4j"), "ND4J's INFO lines:\n" + r[2]);
    }
}
