package dev.infopro.dl4j.io;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Crash-safe file writing: the content goes to a hidden temporary file in the target's directory
 * ({@code .NAME.RANDOM.tmp}), which is flushed and fsynced, then atomically renamed over the target, and the
 * directory is fsynced where the OS allows it. A crash at any moment leaves either the complete new file or the
 * previous one (plus, at worst, a temporary file that readers ignore). File systems that cannot rename atomically
 * are refused with an error rather than written non-atomically.
 */
public final class AtomicFiles {
    private static final Logger LOG = LoggerFactory.getLogger(AtomicFiles.class);

    private AtomicFiles() {
    }

    /** Writes the content of a file to a stream (which it must not close). */
    @FunctionalInterface
    public interface Content {
        /** Writes the whole content. */
        void writeTo(OutputStream out) throws IOException;
    }

    /** Runs after the temporary file is complete and on disk, just before the rename makes it visible. */
    @FunctionalInterface
    public interface BeforeRename {
        /**
         * @param temporary the complete temporary file
         * @param target    the file it will become
         */
        void accept(Path temporary, Path target) throws IOException;
    }

    /** Writes {@code target} atomically, replacing an existing file. */
    public static void write(Path target, Content content) throws IOException {
        write(target, content, (tmp, t) -> { });
    }

    /**
     * Writes {@code target} atomically; {@code beforeRename} may inspect or move an existing target, or throw to
     * abandon the write (the temporary file is then deleted and the target untouched).
     *
     * @throws IOException when writing fails or the file system cannot rename atomically; the target is untouched
     */
    public static void write(Path target, Content content, BeforeRename beforeRename) throws IOException {
        Path file = target.toAbsolutePath();
        Path dir = file.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream os = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
                content.writeTo(os);
                os.flush();
                ch.force(true); // data and metadata on disk before the rename makes the file visible
            }
            beforeRename.accept(tmp, file);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("The file system of " + dir + " cannot rename atomically, so " + file
                        + " would not survive a crash; write it to a local directory", e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        fsyncDirectory(dir);
    }

    // Makes the rename itself durable; not every OS or file system allows opening a directory.
    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("Cannot fsync directory {}: {}", dir, e.toString());
        }
    }
}
