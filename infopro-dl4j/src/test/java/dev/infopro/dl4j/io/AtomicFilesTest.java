package dev.infopro.dl4j.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A write replaces the file whole, and a failed write leaves the old file and no temporary file behind. */
class AtomicFilesTest {

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void writesAndReplacesInNewDirectories(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("a/b/model.zip");
        AtomicFiles.write(f, out -> out.write("one".getBytes(StandardCharsets.UTF_8)));
        assertEquals("one", Files.readString(f));
        AtomicFiles.write(f, out -> out.write("two".getBytes(StandardCharsets.UTF_8)));
        assertEquals("two", Files.readString(f));
        assertEquals(List.of("model.zip"), names(f.getParent()));
    }

    @Test
    void aFailingWriteKeepsTheOldFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("model.zip");
        AtomicFiles.write(f, out -> out.write("good".getBytes(StandardCharsets.UTF_8)));
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write("half".getBytes(StandardCharsets.UTF_8));
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("good", Files.readString(f));
        assertEquals(List.of("model.zip"), names(dir));
    }

    @Test
    void beforeRenameSeesTheCompleteTemporaryFileAndCanAbandonTheWrite(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("model.zip");
        AtomicFiles.write(f, out -> out.write("old".getBytes(StandardCharsets.UTF_8)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> AtomicFiles.write(f,
                out -> out.write("new".getBytes(StandardCharsets.UTF_8)), (tmp, target) -> {
                    assertEquals("new", Files.readString(tmp));
                    assertTrue(tmp.getFileName().toString().startsWith(".model.zip."), tmp.toString());
                    assertEquals(f.toAbsolutePath(), target);
                    throw new IllegalStateException("refused");
                }));
        assertEquals("refused", e.getMessage());
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("model.zip"), names(dir));
    }
}
