package dev.infopro.dl4j.checkpoint;

import dev.infopro.dl4j.data.IteratorState;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Naming, contents, pruning, temp files, overwrite protection and argument checks of CheckpointManager. */
class CheckpointManagerTest {
    private static DataSet batch;

    @BeforeAll
    static void data() {
        try (var it = CheckpointTestNets.iterator(CheckpointTestNets.dataset(8), 1)) {
            batch = it.next();
        }
    }

    private static Stream<String> names(Path dir) throws Exception {
        return Files.list(dir).map(p -> p.getFileName().toString()).sorted();
    }

    @Test
    void roundTripCarriesModelIteratorStateMetadataAndCounters(@TempDir Path dir) throws Exception {
        LocalModuleGraph m = CheckpointTestNets.model();
        m.fit(batch);
        m.fit(batch);
        CheckpointManager cm = new CheckpointManager(dir.resolve("run"), 3);
        Path f = cm.save(m, new IteratorState(77, 4, 16), Map.of("spec", "{\"epochs\":3}", "name", "run"));
        assertEquals("checkpoint-e0000-i000002.zip", f.getFileName().toString());
        Checkpoint cp = new CheckpointManager(dir.resolve("run")).loadLatest().orElseThrow();
        assertEquals(f, cp.getFile());
        assertEquals(new IteratorState(77, 4, 16), cp.getDataState());
        assertEquals(Map.of("spec", "{\"epochs\":3}", "name", "run"), cp.getMetadata());
        assertEquals(2, cp.getIteration());
        assertEquals(0, cp.getEpoch());
        assertEquals(0.0, CheckpointTestNets.maxDiff(m, cp.getModel()));
        assertEquals(m.getConfig(), cp.getModel().getConfig());
        assertThrows(UnsupportedOperationException.class, () -> cp.getMetadata().put("x", "y"));
    }

    @Test
    void keepsOnlyTheLastNOfItsOwnFilesAndNothingElse(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "user file");
        Files.writeString(dir.resolve("checkpoint-mine.zip"), "user file with a similar name");
        LocalModuleGraph m = CheckpointTestNets.model();
        CheckpointManager cm = new CheckpointManager(dir, 2);
        for (int i = 0; i < 4; i++) {
            m.fit(batch);
            cm.save(m, null, null);
        }
        try (Stream<String> s = names(dir)) {
            assertEquals(List.of("checkpoint-e0000-i000003.zip", "checkpoint-e0000-i000004.zip", "checkpoint-mine.zip",
                    "notes.txt"), s.collect(Collectors.toList()));
        }
        assertEquals(2, cm.list().size());
        assertEquals(4, cm.loadLatest().orElseThrow().getIteration());
        assertEquals(null, cm.loadLatest().orElseThrow().getDataState());
    }

    @Test
    void ordersNumericallyBeyondThePaddingWidth(@TempDir Path dir) throws Exception {
        for (String n : new String[]{"checkpoint-e0009-i999999.zip", "checkpoint-e0010-i1000000.zip",
                "checkpoint-e0002-i000010.zip"}) {
            Files.writeString(dir.resolve(n), "x");
        }
        List<String> order = new CheckpointManager(dir).list().stream().map(p -> p.getFileName().toString())
                .collect(Collectors.toList());
        assertEquals(List.of("checkpoint-e0002-i000010.zip", "checkpoint-e0009-i999999.zip",
                "checkpoint-e0010-i1000000.zip"), order);
    }

    @Test
    void emptyDirectoryGivesEmptyAndAllInvalidGivesAClearError(@TempDir Path dir) throws Exception {
        CheckpointManager cm = new CheckpointManager(dir.resolve("missing"));
        assertTrue(cm.loadLatest().isEmpty());
        Files.writeString(dir.resolve("checkpoint-e0001-i000010.zip"), "not a zip");
        Files.write(dir.resolve("checkpoint-e0002-i000020.zip"), new byte[0]);
        CheckpointException e = assertThrows(CheckpointException.class, () -> new CheckpointManager(dir).loadLatest());
        assertTrue(e.getMessage().contains("No valid checkpoint in " + dir.toAbsolutePath()), e.getMessage());
        assertTrue(e.getMessage().contains("checkpoint-e0001-i000010.zip"), e.getMessage());
        assertTrue(e.getMessage().contains("checkpoint-e0002-i000020.zip"), e.getMessage());
        assertTrue(e.getMessage().indexOf("e0002") < e.getMessage().indexOf("e0001"), "newest first");
    }

    @Test
    void leftoverTempFilesAreIgnoredThenDeletedAndValidFilesNeverOverwritten(@TempDir Path dir) throws Exception {
        LocalModuleGraph m = CheckpointTestNets.model();
        m.fit(batch);
        CheckpointManager cm = new CheckpointManager(dir);
        Path first = cm.save(m, null, Map.of("v", "1"));
        Path temp = dir.resolve(".checkpoint-e0000-i000002.zip.123.tmp");
        Files.write(temp, new byte[]{80, 75, 3, 4, 1, 2});
        assertEquals(first, cm.loadLatest().orElseThrow().getFile());
        assertEquals(List.of(first), cm.list());

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> cm.save(m, null, Map.of("v", "2")));
        assertTrue(e.getMessage().contains("refusing to overwrite"), e.getMessage());
        assertEquals("1", cm.loadLatest().orElseThrow().getMetadata().get("v"));
        assertFalse(Files.exists(temp), "save deletes leftover temporary files");

        // a corrupt file of the same name is kept aside, not overwritten
        byte[] good = Files.readAllBytes(first);
        Files.write(first, java.util.Arrays.copyOf(good, good.length / 2));
        cm.save(m, null, Map.of("v", "3"));
        assertEquals("3", cm.loadLatest().orElseThrow().getMetadata().get("v"));
        assertEquals(good.length / 2, Files.size(dir.resolve(first.getFileName() + ".corrupt")));
    }

    @Test
    void badArgumentsAreRejectedClearly(@TempDir Path dir) throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CheckpointManager(dir, 0));
        assertTrue(e.getMessage().contains("keepLast must be >= 1"), e.getMessage());
        Path file = Files.writeString(dir.resolve("notes.txt"), "a user's file");
        e = assertThrows(IllegalArgumentException.class, () -> new CheckpointManager(file));
        assertEquals("The checkpoint directory " + file.toAbsolutePath() + " is a file: give a directory (it is"
                + " created if missing)", e.getMessage());
        assertEquals("a user's file", Files.readString(file), "left as it was");
        assertThrows(IllegalArgumentException.class, () -> new CheckpointManager(null, 2));
        assertThrows(IllegalArgumentException.class, () -> new CheckpointManager(dir).save(null, null, null));
        assertEquals("checkpoint-e0003-i000120.zip", CheckpointManager.fileName(3, 120));
    }
}
