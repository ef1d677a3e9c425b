package dev.infopro.dl4j.checkpoint;

import dev.infopro.dl4j.engine.LocalModuleGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Truncated and bit-flipped checkpoint files never crash or hang the reader: each gives a CheckpointException or,
 * when the damage misses the payload (e.g. a zip timestamp), a checkpoint equal to the original; loadLatest falls
 * back to the previous checkpoint.
 */
class CorruptCheckpointSweepTest {

    @Test
    void truncatedAndBitFlippedFilesFailCleanlyAndFallBack(@TempDir Path dir) throws Exception {
        LocalModuleGraph m = CheckpointTestNets.model();
        DataSet b;
        try (var it = CheckpointTestNets.iterator(CheckpointTestNets.dataset(8), 1)) {
            b = it.next();
        }
        CheckpointManager cm = new CheckpointManager(dir, 5);
        m.fit(b);
        Path older = cm.save(m, null, Map.of("which", "older"));
        m.fit(b);
        Path newest = cm.save(m, null, Map.of("which", "newest"));
        byte[] good = Files.readAllBytes(newest);
        Path probe = dir.resolve("probe").resolve("checkpoint-e0000-i000002.zip");
        Files.createDirectories(probe.getParent());

        TreeSet<Integer> cuts = new TreeSet<>();
        for (int i = 0; i < 40; i++) {
            cuts.add((int) ((long) good.length * i / 40));
        }
        cuts.add(good.length - 1);
        cuts.add(good.length - 22); // inside the end-of-central-directory record
        cuts.add(1);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int cut : cuts) {
                Files.write(probe, java.util.Arrays.copyOf(good, cut));
                assertThrows(CheckpointException.class, () -> CheckpointManager.read(probe), "truncated at " + cut);
            }
        });

        SplittableRandom rnd = new SplittableRandom(2024);
        int[] failures = {0};
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            for (int trial = 0; trial < 60; trial++) {
                byte[] bad = good.clone();
                int flips = 1 + rnd.nextInt(3);
                for (int f = 0; f < flips; f++) {
                    int pos = rnd.nextInt(bad.length);
                    bad[pos] ^= (byte) (1 << rnd.nextInt(8));
                }
                Files.write(probe, bad);
                try {
                    Checkpoint cp = CheckpointManager.read(probe);
                    // damage outside the checksummed payload: the content must be exactly the original
                    assertEquals("newest", cp.getMetadata().get("which"));
                    assertEquals(0.0, CheckpointTestNets.maxDiff(m, cp.getModel()), "trial " + trial);
                } catch (CheckpointException e) {
                    failures[0]++;
                    assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
                }
            }
        });
        assertTrue(failures[0] >= 40, "most random flips hit the payload and must be detected: " + failures[0]);

        // loadLatest skips a damaged newest file and returns the older one
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int variant = 0; variant < 3; variant++) {
                byte[] bad = variant == 0 ? java.util.Arrays.copyOf(good, good.length / 3)
                        : variant == 1 ? new byte[0] : good.clone();
                if (variant == 2) {
                    bad[good.length / 2] ^= 0x10; // inside the model payload
                }
                Files.write(newest, bad);
                Checkpoint cp = cm.loadLatest().orElseThrow();
                assertEquals(older, cp.getFile(), "variant " + variant);
                assertEquals("older", cp.getMetadata().get("which"));
                assertEquals(1, cp.getIteration());
            }
        });
    }
}
