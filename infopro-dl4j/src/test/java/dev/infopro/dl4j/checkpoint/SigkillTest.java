package dev.infopro.dl4j.checkpoint;

import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kills (SIGKILL) a child JVM while it writes a checkpoint, then checks that the previous checkpoint loads, that
 * training resumes from it and ends exactly where an uninterrupted run ends, and that the leftover temp file goes.
 */
class SigkillTest {

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    @Test
    void killedWhileWritingACheckpointResumesFromThePreviousOne(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-Xmx512m", "-Dorg.bytedeco.javacpp.maxbytes=1g"));
        String ext = System.getProperty("org.bytedeco.javacpp.platform.extension");
        if (ext != null) {
            cmd.add("-Dorg.bytedeco.javacpp.platform.extension=" + ext);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CrashTrainingMain.class.getName(),
                dir.toString(), "2"));
        Process child = new ProcessBuilder(cmd).redirectError(tmp.resolve("child-stderr.txt").toFile()).start();
        BlockingQueue<String> paused = new ArrayBlockingQueue<>(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("PAUSED ")) {
                        paused.offer(line.substring("PAUSED ".length()));
                    }
                }
            } catch (Exception ignored) {
                // the stream closes when the child dies
            }
        });
        reader.setDaemon(true);
        reader.start();
        String tempFile;
        try {
            tempFile = paused.poll(90, TimeUnit.SECONDS);
            assertNotNull(tempFile, () -> "the child never reached the checkpoint write of epoch 2; alive="
                    + child.isAlive() + ", stderr:\n" + tail(tmp.resolve("child-stderr.txt")));
            assertTrue(child.isAlive());
        } finally {
            child.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no finally blocks in the child
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not die");
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL (128 + 9)");
        Path leftover = Path.of(tempFile);
        assertTrue(Files.exists(leftover), "the kill left the temporary file of the interrupted write");

        CheckpointManager cm = new CheckpointManager(dir, 3);
        assertEquals(List.of(dir.toAbsolutePath().resolve("checkpoint-e0001-i000005.zip")), cm.list());
        Checkpoint cp = cm.loadLatest().orElseThrow();
        assertEquals(1, cp.getEpoch());
        assertEquals(new dev.infopro.dl4j.data.IteratorState(CrashTrainingMain.SEED, 0, CrashTrainingMain.EXAMPLES),
                cp.getDataState());

        LocalModuleGraph resumed = CrashTrainingMain.train(cm);
        assertFalse(Files.exists(leftover), "the next save deletes the leftover temporary file");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("checkpoint-e0002-i000010.zip", "checkpoint-e0003-i000015.zip",
                    "checkpoint-e0004-i000020.zip"), files.map(p -> p.getFileName().toString()).sorted()
                    .collect(Collectors.toList()));
        }

        LocalModuleGraph reference = CheckpointTestNets.model();
        try (ImageDataSetIterator it = CheckpointTestNets.iterator(CheckpointTestNets.dataset(CrashTrainingMain.EXAMPLES),
                CrashTrainingMain.SEED)) {
            reference.fit(it, CrashTrainingMain.EPOCHS);
        }
        assertEquals(CrashTrainingMain.EPOCHS, resumed.getEpochCount());
        double d = CheckpointTestNets.maxDiff(reference, resumed);
        assertTrue(d <= 1e-6, "the run resumed after the kill differs from an uninterrupted run by " + d);
    }

    private static String tail(Path f) {
        try {
            String s = Files.readString(f);
            return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
        } catch (Exception e) {
            return "(no stderr: " + e + ")";
        }
    }
}
