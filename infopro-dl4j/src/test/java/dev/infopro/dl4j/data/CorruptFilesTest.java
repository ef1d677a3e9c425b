package dev.infopro.dl4j.data;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Truncations and byte flips of every format: the reader either still succeeds (a flipped pixel is valid data) or
 * throws {@link DatasetFormatException} naming the file; never another exception type, never a hang. Truncations
 * and header flips must always fail.
 */
class CorruptFilesTest {
    @TempDir
    Path dir;

    /** Reads the (single corrupted) file with the format's reader. */
    private interface Reader {
        void read(Path corrupted) throws IOException;
    }

    private void sweep(String fileName, byte[] valid, Reader reader, int headerBytes, boolean truncationAlwaysFails,
                       int recordSize) {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Path f = dir.resolve(fileName);
            Files.write(f, valid);
            reader.read(f); // the valid file itself must load
            TreeSet<Integer> cuts = new TreeSet<>();
            for (int i = 0; i < Math.min(valid.length, 150); i++) {
                cuts.add(i);
            }
            Random rnd = new Random(42);
            for (int i = 0; i < 60; i++) {
                cuts.add(rnd.nextInt(valid.length));
            }
            cuts.add(valid.length - 1);
            for (int cut : cuts) {
                Files.write(f, Arrays.copyOf(valid, cut));
                boolean mayLoad = !truncationAlwaysFails && cut > 0 && cut % recordSize == 0;
                check(reader, f, mayLoad, "truncated to " + cut);
            }
            for (int i = 0; i < 200; i++) {
                byte[] b = valid.clone();
                int pos = i < 50 && headerBytes > 0 ? i % Math.min(headerBytes, valid.length) : rnd.nextInt(valid.length);
                b[pos] ^= (byte) (1 + rnd.nextInt(255));
                Files.write(f, b);
                check(reader, f, pos >= headerBytes, "byte " + pos + " flipped");
            }
        });
    }

    private static void check(Reader reader, Path f, boolean mayLoad, String what) {
        try {
            reader.read(f);
            if (!mayLoad) {
                fail(f.getFileName() + " " + what + ": loaded without error");
            }
        } catch (DatasetFormatException e) {
            assertTrue(e.getMessage().contains(f.getFileName().toString()), what + ": message must name the file: "
                    + e.getMessage());
        } catch (Throwable t) {
            throw new AssertionError(f.getFileName() + " " + what + ": wrong exception type " + t, t);
        }
    }

    @Test
    void idxRaw() throws IOException {
        Path labels = TestFiles.write(dir, "labels", TestFiles.idxLabels(new int[]{1, 2, 3, 4, 5, 6}));
        sweep("images-idx3-ubyte", TestFiles.idxImages(6, 7, 5),
                f -> IdxReader.read(f, labels, "x", 10, null), 16, true, 1);
        Path images = TestFiles.write(dir, "images", TestFiles.idxImages(6, 7, 5));
        // Label bytes past the header may flip to another valid label (< 10) or an invalid one: both are fine.
        sweep("labels-idx1-ubyte", TestFiles.idxLabels(new int[]{1, 2, 3, 4, 5, 6}),
                f -> IdxReader.read(images, f, "x", 10, null), 8, true, 1);
    }

    @Test
    void idxGzip() throws IOException {
        Path labels = TestFiles.write(dir, "labels", TestFiles.idxLabels(new int[]{1, 2, 3, 4, 5, 6}));
        // gzip header bytes 4..9 (mtime, flags, OS) are not checked by gzip itself, so no byte counts as "header".
        sweep("images-idx3-ubyte.gz", TestFiles.gzip(TestFiles.idxImages(6, 7, 5)),
                f -> IdxReader.read(f, labels, "x", 10, null), 0, true, 1);
    }

    @Test
    void cifar10And100() throws IOException {
        sweep("data_batch_1.bin", TestFiles.cifar(new int[]{1, 2, 3}, 1, 0),
                f -> CifarReader.readCifar10("c", null, List.of(f)), 0, false, 3073);
        sweep("train.bin", TestFiles.cifar(new int[]{1, 22, 93}, 2, 0),
                f -> CifarReader.readCifar100("c", null, List.of(f)), 0, false, 3074);
    }

    @Test
    void svhnMatUncompressedAndCompressed() {
        int[] y = {10, 3, 7};
        // The 128-byte header's text and subsystem offset are free-form; the version and endian bytes are checked.
        sweep("train_32x32.mat", TestFiles.svhnMat(y, false, false), f -> SvhnReader.read(f, "s", null), 0, true, 1);
        sweep("test_32x32.mat", TestFiles.svhnMat(y, true, true), f -> SvhnReader.read(f, "s", null), 0, true, 1);
    }

    @Test
    void stl10() throws IOException {
        Path y = TestFiles.write(dir, "train_y.bin", new byte[]{1, 2});
        sweep("train_X.bin", TestFiles.stlImages(2), f -> Stl10Reader.read(f, y, "s", null), 0, true, 1);
        Path x = TestFiles.write(dir, "train_X.bin.ok", TestFiles.stlImages(2));
        sweep("train_y.bin", new byte[]{1, 2}, f -> Stl10Reader.read(x, f, "s", null), 0, true, 1);
    }

    @Test
    void hugeHeaderCountsDoNotAllocate() throws IOException {
        // A header declaring 2^31-1 images must be rejected by size before any allocation.
        byte[] img = TestFiles.idxImages(2, 28, 28);
        img[4] = 0x7f;
        img[5] = (byte) 0xff;
        img[6] = (byte) 0xff;
        img[7] = (byte) 0xff;
        Path f = TestFiles.write(dir, "train-images-idx3-ubyte", img);
        Path l = TestFiles.write(dir, "l", TestFiles.idxLabels(new int[]{1, 2}));
        DatasetFormatException e = org.junit.jupiter.api.Assertions.assertThrows(DatasetFormatException.class,
                () -> IdxReader.read(f, l, "x", 10, null));
        assertTrue(e.getMessage().contains("expected 1683627179264 bytes for 2147483647 images of 28x28, found 1584"),
                e.getMessage());
    }
}
